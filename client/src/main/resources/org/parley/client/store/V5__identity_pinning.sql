-- Identity pinning and account identity changes (DESIGN.md §3).
-- list_hash: SHA-256 of the signed device list seen at list_version. A second, different list with the
-- same version is the server equivocating: refused and reported.
ALTER TABLE accounts ADD COLUMN list_hash BLOB;
-- The user compared the safety number of primary_identity and marked it verified ('parley trust --verified').
ALTER TABLE accounts ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
-- A new primary identity not accepted yet (the contact was verified, or trust-new-identities is 'never'):
-- sends are refused and receives quarantined until 'parley trust'.
ALTER TABLE accounts ADD COLUMN pending_identity BLOB;
-- The identity the account had before its last change, while the receive stream still owes the user an
-- identity-changed event (shown before the first message under the new key).
ALTER TABLE accounts ADD COLUMN changed_from BLOB;
ALTER TABLE accounts ADD COLUMN changed_at INTEGER;

-- Envelopes whose sender could not be believed (an identity key its primary does not vouch for, a device
-- not on the signed list, an identity held until 'parley trust'): kept, never shown nor applied, and no
-- session stored for them. Held ones are taken in again once the identity is trusted.
CREATE TABLE quarantine (
  guid BLOB NOT NULL UNIQUE,
  envelope BLOB NOT NULL,
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  at INTEGER NOT NULL
);

CREATE INDEX quarantine_by_account ON quarantine (account_id, at);

-- On the primary: the device lists it signed (DESIGN.md §3, the primary's own list is the truth). Every
-- new list is derived from the newest published one, never from the server's copy. A list is written
-- here before it is sent (published = 0) and marked published once the server holds it.
CREATE TABLE own_device_lists (
  version INTEGER PRIMARY KEY,
  signed_list BLOB NOT NULL,
  published INTEGER NOT NULL
);

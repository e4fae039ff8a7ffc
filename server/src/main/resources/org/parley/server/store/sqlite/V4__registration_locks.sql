-- Registration lock (DESIGN.md §3): a slow hash of the PIN the account's primary set. Re-registering
-- the number needs the PIN while the lock holds.
CREATE TABLE registration_locks (
  account_id TEXT PRIMARY KEY,
  pin_hash BLOB NOT NULL,
  salt BLOB NOT NULL,
  iterations INTEGER NOT NULL,
  set_at INTEGER NOT NULL
) WITHOUT ROWID;

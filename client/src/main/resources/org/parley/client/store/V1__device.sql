CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value BLOB
) WITHOUT ROWID;

CREATE TABLE pre_keys (
  id INTEGER PRIMARY KEY,
  record BLOB NOT NULL
);

CREATE TABLE signed_pre_keys (
  id INTEGER PRIMARY KEY,
  record BLOB NOT NULL
);

CREATE TABLE kyber_pre_keys (
  id INTEGER PRIMARY KEY,
  record BLOB NOT NULL,
  last_resort INTEGER NOT NULL
);

-- Base keys already used with a last-resort Kyber key: a replayed session start is refused.
CREATE TABLE kyber_base_keys (
  kyber_id INTEGER NOT NULL,
  signed_id INTEGER NOT NULL,
  base_key BLOB NOT NULL,
  PRIMARY KEY (kyber_id, signed_id, base_key)
) WITHOUT ROWID;

CREATE TABLE sessions (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (account_id, device_id)
) WITHOUT ROWID;

CREATE TABLE identities (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  identity_key BLOB NOT NULL,
  first_seen INTEGER NOT NULL,
  PRIMARY KEY (account_id, device_id)
) WITHOUT ROWID;

CREATE TABLE sender_keys (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  distribution_id TEXT NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (account_id, device_id, distribution_id)
) WITHOUT ROWID;

-- Other accounts (and this one) as last verified: the pinned primary identity and the highest
-- device-list version seen, so a rolled-back list is refused.
CREATE TABLE accounts (
  account_id TEXT PRIMARY KEY,
  phone TEXT,
  primary_identity BLOB,
  list_version INTEGER NOT NULL DEFAULT 0,
  verified_at INTEGER
) WITHOUT ROWID;

CREATE INDEX accounts_by_phone ON accounts (phone);

-- Devices as the server last listed them; trusted = vouched for by the primary's signed list.
CREATE TABLE account_devices (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  registration_id INTEGER NOT NULL,
  identity_key BLOB NOT NULL,
  trusted INTEGER NOT NULL,
  name TEXT,
  kind INTEGER,
  PRIMARY KEY (account_id, device_id)
) WITHOUT ROWID;

CREATE TABLE messages (
  author_account TEXT NOT NULL,
  id TEXT NOT NULL,
  author_device INTEGER NOT NULL,
  chat_account TEXT,
  group_id TEXT,
  outgoing INTEGER NOT NULL,
  body TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  server_timestamp INTEGER,
  status TEXT NOT NULL,
  PRIMARY KEY (author_account, id)
) WITHOUT ROWID;

CREATE INDEX messages_by_chat ON messages (chat_account, timestamp);
CREATE INDEX messages_by_group ON messages (group_id, timestamp);

-- Envelopes already taken into this store: a redelivery after a crash is acked, not applied again.
CREATE TABLE processed (
  guid BLOB PRIMARY KEY,
  at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  device_list BLOB,
  device_list_version INTEGER NOT NULL DEFAULT 0,
  next_device_id INTEGER NOT NULL DEFAULT 2
);

CREATE TABLE devices (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  registration_id INTEGER NOT NULL,
  identity_key BLOB NOT NULL,
  credential_hash BLOB NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  device_signature BLOB,
  PRIMARY KEY (account_id, device_id)
) WITHOUT ROWID;

-- Unlinked devices, by credential: device 1 of a re-registered number is a new device with the same
-- id, and the old one must still be told why it was cut off.
CREATE TABLE tombstones (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  credential_hash BLOB NOT NULL,
  reason INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (account_id, device_id, credential_hash)
) WITHOUT ROWID;

-- kind 0: signed EC pre-key, kind 1: Kyber last-resort pre-key
CREATE TABLE signed_pre_keys (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  public_key BLOB NOT NULL,
  signature BLOB NOT NULL,
  PRIMARY KEY (account_id, device_id, kind)
) WITHOUT ROWID;

-- kind 0: one-time EC pre-key, kind 1: one-time Kyber pre-key
CREATE TABLE one_time_pre_keys (
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  public_key BLOB NOT NULL,
  signature BLOB,
  PRIMARY KEY (account_id, device_id, kind, key_id)
) WITHOUT ROWID;

CREATE TABLE verification_codes (
  phone TEXT PRIMARY KEY,
  code_hash BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  failed_attempts INTEGER NOT NULL
) WITHOUT ROWID;

-- AUTOINCREMENT: a position is never reused, even after the newest envelope was acked and deleted,
-- so a connection that remembers "pushed up to N" never skips a later envelope.
CREATE TABLE queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  guid BLOB NOT NULL,
  server_ts INTEGER NOT NULL,
  envelope BLOB NOT NULL
);

CREATE INDEX queue_by_device ON queue (account_id, device_id, seq);

-- App state (DESIGN.md §16): the account's shared settings, one row per key holding the winning mutation
-- (highest version, ties by device id). A deletion keeps its row with value NULL, so an older change that
-- arrives late cannot bring the key back; deletions are forgotten after 90 days. Owner: issue 17.
CREATE TABLE app_state (
  key TEXT PRIMARY KEY,
  -- the key's kind and the chat and label it is about, for the views (parsed from key)
  kind TEXT NOT NULL,
  chat TEXT,
  label TEXT,
  -- an AppStateValue (content.proto), NULL for a deletion
  value BLOB,
  version INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  -- 1 while a change made on this device has not reached the server for the other own devices
  pending INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX app_state_by_kind ON app_state (kind);
CREATE INDEX app_state_by_chat ON app_state (chat);
CREATE INDEX app_state_by_label ON app_state (label);
CREATE INDEX app_state_pending ON app_state (pending) WHERE pending = 1;

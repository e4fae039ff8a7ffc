-- History bundles announced to this device (DESIGN.md §7), remembered from the moment the
-- announcement is taken in: an import cut off by a crash is found again and retried, and an
-- announcement delivered twice is not imported twice. The announcement holds the bundle's key.
-- A bundle that decrypts wrong is refused for good (failure), not retried on every start.
CREATE TABLE history_bundles (
  blob_id TEXT PRIMARY KEY,
  part INTEGER NOT NULL,
  announcement BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  imported_at INTEGER,
  records INTEGER,
  failure TEXT
) WITHOUT ROWID;

-- Attachments (DESIGN.md §15): the pointer of every file a message carries, in the sender's order,
-- and where this device keeps the verified plaintext once fetched (path relative to the profile's
-- attachments/ directory, a name this device made up; never the sender's file name).
-- status: pending (to fetch now), offered (from history sync: fetched on demand), fetched, failed.
CREATE TABLE attachments (
  author_account TEXT NOT NULL,
  message_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  pointer BLOB NOT NULL,
  status TEXT NOT NULL,
  path TEXT,
  error TEXT,
  PRIMARY KEY (author_account, message_id, position)
) WITHOUT ROWID;

CREATE INDEX attachments_by_blob ON attachments (blob_id);
CREATE INDEX attachments_by_status ON attachments (status);

-- Uploads begun by a send that did not finish (the server unreachable half way): the same send
-- again continues after the bytes the server holds, with the same key and IV, which make the
-- same ciphertext. Keyed by the file as it was (path, size, modification time).
CREATE TABLE attachment_uploads (
  file TEXT NOT NULL,
  size INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  key BLOB NOT NULL,
  iv BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (file, size, modified)
) WITHOUT ROWID;

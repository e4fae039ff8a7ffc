-- The embedded blob store's index (DESIGN.md §7, §15); the bytes are files beside it.
CREATE TABLE blobs (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  -- The device that reserved the blob: only it uploads.
  uploader INTEGER NOT NULL,
  -- HISTORY or ATTACHMENT.
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  -- 1 once every byte is stored for good; until then the bytes received so far are in ID.part.
  uploaded INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX blobs_by_account ON blobs (account);
CREATE INDEX blobs_by_expiry ON blobs (expires_at);

-- The devices an attachment was sent to: they may fetch it, and it is deleted once all of them have.
CREATE TABLE blob_recipients (
  blob_id TEXT NOT NULL,
  account TEXT NOT NULL,
  device INTEGER NOT NULL,
  fetched INTEGER NOT NULL,
  PRIMARY KEY (blob_id, account, device)
) WITHOUT ROWID;

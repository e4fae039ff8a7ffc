-- Blobs (history bundles, attachments) where every node reaches them (DESIGN.md §10): the same facts as
-- the embedded store's blobs/index.db, and the bytes themselves as chunks of up to 256 KiB, so an upload
-- appends rows and a download reads one row at a time. Owner: the PostgreSQL blob store (issue 15);
-- what the columns mean is issue 14's BlobStore interface.

CREATE TABLE blobs (
  id text PRIMARY KEY,
  account_id uuid NOT NULL,
  uploader integer NOT NULL,
  kind text NOT NULL,
  size bigint NOT NULL,
  -- bytes held in blob_chunks: an upload resumes after them
  received bigint NOT NULL DEFAULT 0,
  uploaded boolean NOT NULL DEFAULT false,
  expires_at bigint NOT NULL,
  -- raised by every upload that starts; a chunk is only added by the upload of the current generation,
  -- so an older upload still open on any node stops at its next write
  generation bigint NOT NULL DEFAULT 0
);

CREATE INDEX blobs_by_account ON blobs (account_id);
CREATE INDEX blobs_by_expiry ON blobs (expires_at);

CREATE TABLE blob_chunks (
  blob_id text NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
  start bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (blob_id, start)
);

-- Encrypted bytes do not compress: store them out of line without trying.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE blob_recipients (
  blob_id text NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
  account_id uuid NOT NULL,
  device_id integer NOT NULL,
  fetched boolean NOT NULL DEFAULT false,
  PRIMARY KEY (blob_id, account_id, device_id)
);

-- Signed EC and Kyber last-resort pre-keys that a newer one replaced (key hygiene, keys/PreKeys): kept
-- while messages encrypted to them may still be queued, deleted once replaced_at is older than that.
CREATE TABLE replaced_pre_keys (
  -- 0: signed EC pre-key, 1: Kyber last-resort pre-key
  kind INTEGER NOT NULL,
  id INTEGER NOT NULL,
  replaced_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;

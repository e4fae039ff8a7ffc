-- Messages written while the server could not be reached (DESIGN.md §13's outbox), sent in seq order
-- once it can. The DataMessage is kept whole, its id included: a retry after a lost answer carries
-- the same id, and the receiving device drops the second copy. One of recipient / group_id is set.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  recipient TEXT,
  group_id TEXT,
  data BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);

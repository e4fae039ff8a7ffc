-- Retry requests (DESIGN.md §6, docs/PROTOCOL.md): a message this device could not decrypt is asked
-- for again from the device that sent it. One row per failed message, by its sender device and its
-- timestamp; the row goes when the message arrives. state: owed (to be asked), asked, given-up.
CREATE TABLE retry_requests (
  sender TEXT NOT NULL,
  sender_device INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  sender_phone TEXT NOT NULL,
  group_id TEXT,
  decryption_error BLOB NOT NULL,
  reset_session INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  failed_at INTEGER NOT NULL,
  asked_at INTEGER,
  PRIMARY KEY (sender, sender_device, timestamp)
) WITHOUT ROWID;

-- What this device sent recently (its content whole, as encrypted), kept a bounded time and count
-- to be sent again to a device that could not decrypt it. One of recipient / group_id is set.
CREATE TABLE sent_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp INTEGER NOT NULL,
  recipient TEXT,
  group_id TEXT,
  content BLOB NOT NULL,
  sent_at INTEGER NOT NULL
);
CREATE INDEX sent_log_by_timestamp ON sent_log (timestamp);

-- Messages owed again to a device that asked (state owed, then sent), and how often it asked.
CREATE TABLE resends (
  requester TEXT NOT NULL,
  requester_device INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  state TEXT NOT NULL,
  asked INTEGER NOT NULL,
  asked_at INTEGER NOT NULL,
  PRIMARY KEY (requester, requester_device, timestamp)
) WITHOUT ROWID;

-- Every event this device produced (DESIGN.md §13), written in the same transaction as what caused
-- it. event_id only grows and is never reused (AUTOINCREMENT), so "everything after N" is exact even
-- after old events are forgotten. body is the event's JSON object without its eventId.
CREATE TABLE events (
  event_id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL
);

CREATE INDEX events_by_time ON events (at);

-- How far named consumers have read the log: 'receive' (the receive command), 'webhook:URL'.
CREATE TABLE event_cursors (
  consumer TEXT PRIMARY KEY,
  event_id INTEGER NOT NULL
) WITHOUT ROWID;

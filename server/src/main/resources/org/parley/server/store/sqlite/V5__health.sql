-- Readiness probes prove that the store can commit by changing this one row: a read would pass
-- while the file is locked, full or read-only.
CREATE TABLE health (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  probes INTEGER NOT NULL
);

INSERT INTO health (id, probes) VALUES (1, 0);

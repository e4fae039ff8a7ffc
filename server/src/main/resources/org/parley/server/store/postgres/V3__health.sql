-- Readiness probes prove that the database takes commits by changing this one row: a read would
-- pass on a standby left read-only after a failover, or on a full disk.
CREATE TABLE health (
  id integer PRIMARY KEY CHECK (id = 1),
  probes bigint NOT NULL
);

INSERT INTO health (id, probes) VALUES (1, 0);

-- Registration lock (DESIGN.md §3): a slow hash of the PIN the account's primary set.
CREATE TABLE registration_locks (
  account_id uuid PRIMARY KEY,
  pin_hash bytea NOT NULL,
  salt bytea NOT NULL,
  iterations integer NOT NULL,
  set_at bigint NOT NULL
);

-- The clustered store (DESIGN.md §10): the same tables as the embedded SQLite store, shared by every node.
-- Numbers written by several nodes at once are kept consistent by row locks (accounts, groups) and, for
-- queue order, by per-device advisory locks (see lock_queues below).

CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  phone text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  device_list bytea,
  device_list_version bigint NOT NULL DEFAULT 0,
  next_device_id integer NOT NULL DEFAULT 2
);

CREATE TABLE devices (
  account_id uuid NOT NULL,
  device_id integer NOT NULL,
  registration_id integer NOT NULL,
  identity_key bytea NOT NULL,
  credential_hash bytea NOT NULL,
  name text NOT NULL,
  kind integer NOT NULL,
  created_at bigint NOT NULL,
  last_seen bigint NOT NULL,
  device_signature bytea,
  PRIMARY KEY (account_id, device_id)
);

-- The inactivity reaper looks for devices not seen since a time.
CREATE INDEX devices_by_last_seen ON devices (last_seen);

-- Unlinked devices, by credential: device 1 of a re-registered number is a new device with the same id,
-- and the old one must still be told why it was cut off.
CREATE TABLE tombstones (
  account_id uuid NOT NULL,
  device_id integer NOT NULL,
  credential_hash bytea NOT NULL,
  reason integer NOT NULL,
  at bigint NOT NULL,
  PRIMARY KEY (account_id, device_id, credential_hash)
);

-- kind 0: signed EC pre-key, kind 1: Kyber last-resort pre-key
CREATE TABLE signed_pre_keys (
  account_id uuid NOT NULL,
  device_id integer NOT NULL,
  kind integer NOT NULL,
  key_id integer NOT NULL,
  public_key bytea NOT NULL,
  signature bytea NOT NULL,
  PRIMARY KEY (account_id, device_id, kind)
);

-- kind 0: one-time EC pre-key, kind 1: one-time Kyber pre-key
CREATE TABLE one_time_pre_keys (
  account_id uuid NOT NULL,
  device_id integer NOT NULL,
  kind integer NOT NULL,
  key_id integer NOT NULL,
  public_key bytea NOT NULL,
  signature bytea,
  PRIMARY KEY (account_id, device_id, kind, key_id)
);

CREATE TABLE verification_codes (
  phone text PRIMARY KEY,
  code_hash bytea NOT NULL,
  expires_at bigint NOT NULL,
  failed_attempts integer NOT NULL
);

-- One queue per device, keyed by (account, device, seq). seq comes from one sequence, so a position is
-- never reused; the guid is unique, so a batch retried after a lost commit answer is not stored twice.
CREATE SEQUENCE queue_seq;

CREATE TABLE queue (
  account_id uuid NOT NULL,
  device_id integer NOT NULL,
  seq bigint NOT NULL DEFAULT nextval('queue_seq'),
  guid bytea NOT NULL UNIQUE,
  server_ts bigint NOT NULL,
  envelope bytea NOT NULL,
  PRIMARY KEY (account_id, device_id, seq)
);

-- Expiry of undelivered envelopes deletes by age.
CREATE INDEX queue_by_time ON queue (server_ts);

-- A device's queue must grow in commit order: a node that pushed up to position N must never find a
-- smaller one committed later. A sequence alone does not promise that (two nodes take 10 and 11, 11
-- commits first), so every transaction that appends takes a lock per destination device before it
-- draws positions, all at once and in one order (no deadlock between nodes), held until it commits.
CREATE FUNCTION lock_queues(keys bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  k bigint;
BEGIN
  FOREACH k IN ARRAY (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(keys) x) LOOP
    PERFORM pg_advisory_xact_lock(k);
  END LOOP;
END
$$;

-- Groups (DESIGN.md §9). Every membership change raises the version, so a change worked out from an older
-- read is refused instead of silently undoing another admin's change.
CREATE TABLE chat_groups (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  version bigint NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE group_members (
  group_id uuid NOT NULL,
  account_id uuid NOT NULL,
  admin boolean NOT NULL,
  added_at bigint NOT NULL,
  -- Order of joining within the group: the longest-standing member takes over when the last admin leaves.
  position bigint NOT NULL,
  PRIMARY KEY (group_id, account_id)
);

CREATE INDEX group_members_by_account ON group_members (account_id, group_id);

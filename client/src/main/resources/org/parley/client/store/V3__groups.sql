-- Groups this device knows (DESIGN.md §9), as the server last described them. Versions only go up.
CREATE TABLE chat_groups (
  group_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  -- 0 once this account left or was removed: nothing more is sent to the group from here.
  member INTEGER NOT NULL,
  -- This device's current sender key for the group (its libsignal distribution id); NULL before
  -- the first message and whenever the key must be rotated before the next one.
  distribution_id TEXT
) WITHOUT ROWID;

CREATE TABLE group_members (
  group_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  admin INTEGER NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (group_id, account_id)
) WITHOUT ROWID;

-- The devices this device handed its current sender key for a group to. A holder that is no longer
-- a recipient (member removed, device unlinked or registered again) makes the key rotate first.
CREATE TABLE sender_key_shares (
  group_id TEXT NOT NULL,
  distribution_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  device_id INTEGER NOT NULL,
  registration_id INTEGER NOT NULL,
  PRIMARY KEY (group_id, distribution_id, account_id, device_id)
) WITHOUT ROWID;

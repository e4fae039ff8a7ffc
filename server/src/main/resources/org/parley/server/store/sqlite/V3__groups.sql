-- Groups (DESIGN.md §9). Every membership change raises the version, so a change worked out from an
-- older read is refused instead of silently undoing another admin's change.
CREATE TABLE chat_groups (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE group_members (
  group_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  admin INTEGER NOT NULL,
  added_at INTEGER NOT NULL,
  -- Order of joining within the group: the longest-standing member takes over when the last admin leaves.
  position INTEGER NOT NULL,
  PRIMARY KEY (group_id, account_id)
) WITHOUT ROWID;

CREATE INDEX group_members_by_account ON group_members (account_id, group_id);

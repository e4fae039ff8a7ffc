-- The signed membership changes of each group (DESIGN.md §9), one per version. A member that missed
-- some (it was offline, or the server withheld them) fetches them and checks each against its own
-- copy; the server never authors one.
CREATE TABLE group_changes (
  group_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  change BLOB NOT NULL,
  PRIMARY KEY (group_id, version)
) WITHOUT ROWID;

-- Groups are now changed only by signed changes (DESIGN.md §9) that this device checks against its own
-- copy. The version at which each member joined (as far as this device knows) decides whether it may
-- ask for a group message to be sent again: never for one sent before it joined.
ALTER TABLE group_members ADD COLUMN joined_version INTEGER NOT NULL DEFAULT 0;

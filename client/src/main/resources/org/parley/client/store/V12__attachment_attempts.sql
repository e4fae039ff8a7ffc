-- How often an attachment was tried automatically: past a bound it is marked failed (fetched on
-- demand instead), so one that never downloads is not tried again after every envelope.
ALTER TABLE attachments ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

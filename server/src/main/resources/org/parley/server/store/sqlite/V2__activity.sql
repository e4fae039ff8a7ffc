-- The inactivity reaper looks for devices not seen since a time, every few seconds to minutes.
CREATE INDEX devices_by_last_seen ON devices (last_seen);

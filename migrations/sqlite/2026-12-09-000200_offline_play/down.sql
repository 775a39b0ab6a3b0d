ALTER TABLE screen_time_logs DROP COLUMN offline;
ALTER TABLE activity_sessions DROP COLUMN offline;
DROP TABLE offline_spans;
DROP TABLE offline_packs;

ALTER TABLE activities DROP COLUMN archived_at;

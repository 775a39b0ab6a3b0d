DROP INDEX backup_logs_one_pending_idx;
ALTER TABLE backup_logs DROP COLUMN sha256;

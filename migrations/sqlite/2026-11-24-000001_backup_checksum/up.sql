-- Backups: the SHA-256 of the stored object, and at most one pending user backup per user
-- (a second request while one runs is refused by this index, whatever node takes it).
ALTER TABLE backup_logs ADD COLUMN sha256 TEXT;
CREATE UNIQUE INDEX backup_logs_one_pending_idx ON backup_logs (user_id)
    WHERE scope = 'user' AND status = 'pending';

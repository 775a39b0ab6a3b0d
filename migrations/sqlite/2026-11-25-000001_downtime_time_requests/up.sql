-- Downtime: weekly windows of the child's local time with no play, as a JSON array of
-- {days, start, end} (checked by the server before it is stored).
ALTER TABLE learner_settings ADD COLUMN downtime TEXT NOT NULL DEFAULT '[]';

-- A child's requests for more time, answered by the parent. At most one pending request per
-- child, whatever node takes it (the partial unique index decides).
CREATE TABLE time_requests (
    id               TEXT PRIMARY KEY,
    learner_id       TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    parent_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seconds          INTEGER NOT NULL,
    reason           TEXT,
    status           TEXT NOT NULL DEFAULT 'pending',
    created_at       TIMESTAMP NOT NULL,
    answered_at      TIMESTAMP,
    granted_seconds  INTEGER
);
CREATE INDEX time_requests_learner_created_idx ON time_requests (learner_id, created_at);
CREATE UNIQUE INDEX time_requests_one_pending_idx ON time_requests (learner_id)
    WHERE status = 'pending';

-- Offline play: the packs issued to a learner (a synced span must start inside one), the time
-- spans each device played offline (kept per device; a day's offline time is their union, so
-- spans of several devices that overlap count once), and which sessions and screen-time rows
-- came from a device's sync.
CREATE TABLE offline_packs (
    id          TEXT PRIMARY KEY,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    issued_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX offline_packs_learner_idx ON offline_packs (learner_id, issued_at);
CREATE TABLE offline_spans (
    -- learner/device/from/to (seconds since the epoch): the same span sent again is one row.
    id          TEXT PRIMARY KEY,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    device_id   TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP NOT NULL,
    date        DATE NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX offline_spans_day_idx ON offline_spans (learner_id, date);
ALTER TABLE activity_sessions ADD COLUMN offline BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE screen_time_logs ADD COLUMN offline BOOLEAN NOT NULL DEFAULT FALSE;

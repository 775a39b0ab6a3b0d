-- A student's own learner has no daily limit unless the student sets one: NULL is "no limit".
-- SQLite cannot drop a NOT NULL in place: the table is made again (nothing references it).
CREATE TABLE learner_settings_new (
    learner_id                TEXT PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
    daily_time_limit_seconds  INTEGER DEFAULT 3600,
    volume                    REAL NOT NULL DEFAULT 0.8,
    narration_enabled         BOOLEAN NOT NULL DEFAULT 1,
    notifications_enabled     BOOLEAN NOT NULL DEFAULT 1,
    updated_at                TIMESTAMP NOT NULL,
    downtime                  TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO learner_settings_new (learner_id, daily_time_limit_seconds, volume, narration_enabled,
        notifications_enabled, updated_at, downtime)
    SELECT learner_id, daily_time_limit_seconds, volume, narration_enabled, notifications_enabled,
        updated_at, downtime
    FROM learner_settings;
DROP TABLE learner_settings;
ALTER TABLE learner_settings_new RENAME TO learner_settings;
-- Students could not lift the children's default before, so theirs are lifted now.
UPDATE learner_settings SET daily_time_limit_seconds = NULL
    WHERE learner_id IN (SELECT id FROM learners WHERE user_id IS NOT NULL);

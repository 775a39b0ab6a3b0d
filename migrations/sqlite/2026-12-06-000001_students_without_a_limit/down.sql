CREATE TABLE learner_settings_old (
    learner_id                TEXT PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
    daily_time_limit_seconds  INTEGER NOT NULL DEFAULT 3600,
    volume                    REAL NOT NULL DEFAULT 0.8,
    narration_enabled         BOOLEAN NOT NULL DEFAULT 1,
    notifications_enabled     BOOLEAN NOT NULL DEFAULT 1,
    updated_at                TIMESTAMP NOT NULL,
    downtime                  TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO learner_settings_old (learner_id, daily_time_limit_seconds, volume, narration_enabled,
        notifications_enabled, updated_at, downtime)
    SELECT learner_id, COALESCE(daily_time_limit_seconds, 3600), volume, narration_enabled,
        notifications_enabled, updated_at, downtime
    FROM learner_settings;
DROP TABLE learner_settings;
ALTER TABLE learner_settings_old RENAME TO learner_settings;

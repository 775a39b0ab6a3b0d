UPDATE learner_settings SET daily_time_limit_seconds = 3600 WHERE daily_time_limit_seconds IS NULL;
ALTER TABLE learner_settings ALTER COLUMN daily_time_limit_seconds SET NOT NULL;

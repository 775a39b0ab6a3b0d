DROP TABLE digest_runs;
DROP TABLE user_preferences;

DROP TABLE time_requests;
ALTER TABLE learner_settings DROP COLUMN downtime;

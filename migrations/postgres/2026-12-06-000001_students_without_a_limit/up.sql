-- A student's own learner has no daily limit unless the student sets one: NULL is "no limit".
-- Students could not lift the children's default before, so theirs are lifted now.
ALTER TABLE learner_settings ALTER COLUMN daily_time_limit_seconds DROP NOT NULL;
UPDATE learner_settings SET daily_time_limit_seconds = NULL
    WHERE learner_id IN (SELECT id FROM learners WHERE user_id IS NOT NULL);

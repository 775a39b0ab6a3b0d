-- Deleting an activity archives it: it leaves the catalog, but every learner's sessions,
-- answers and progress on it stay (they reference it).
ALTER TABLE activities ADD COLUMN archived_at TIMESTAMP;

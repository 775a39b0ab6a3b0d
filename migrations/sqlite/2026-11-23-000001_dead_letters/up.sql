-- Items the group commit could never store (text the database cannot hold, a number out of
-- range, a parent row gone): kept for an administrator instead of blocking everyone else.
-- No foreign keys, on purpose: a dead letter must be storable whatever it refers to.
CREATE TABLE dead_letters (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    learner_id  TEXT,
    session_id  TEXT,
    seq         INTEGER,
    payload     TEXT NOT NULL,
    error       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX dead_letters_created_idx ON dead_letters (created_at);

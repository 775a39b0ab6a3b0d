-- A user's choices about email (no row: the defaults), and one row per parent and week
-- whose digest was queued: inserted once (the primary key), by whichever node or command
-- got there first, in the transaction that queues the email.
CREATE TABLE user_preferences (
    user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email_digest  BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at    TIMESTAMP NOT NULL
);
CREATE TABLE digest_runs (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    week     TEXT NOT NULL,
    sent_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, week)
);

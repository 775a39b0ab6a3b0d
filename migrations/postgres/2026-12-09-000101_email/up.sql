-- Email: verified addresses, single-use tokens sent by email (password reset, verification;
-- only their SHA-256 kept), and the durable outbox a background sender drains.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;
-- Accounts made before addresses were verified keep working as they did (there was no link
-- to click): they count as verified from their creation.
UPDATE users SET email_verified_at = created_at;

CREATE TABLE email_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id);

-- One row per email to send. A node claims a due row by moving `next_attempt_at` past now
-- where `attempts` is still what it read (compare-and-set), so two nodes never send the same
-- row at once; a node that dies mid-send leaves the row due again when its lease ends.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    sender           TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    message          TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    last_error       TEXT,
    dead_at          TIMESTAMP,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at);

-- Web Push (RFC 8030): where each signed-in browser of a user is reached, with the keys its
-- payloads are encrypted to (RFC 8291). An endpoint is one browser's: subscribing it again,
-- under whichever account, replaces the row (so a shared device hears only its last user).
CREATE TABLE push_subscriptions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

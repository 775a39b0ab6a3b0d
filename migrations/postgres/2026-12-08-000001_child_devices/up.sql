-- A child's device: the parent's PIN (only its hash), asked before the device goes back to
-- the parent, and the refresh families that sign a device in as one child (role `child`).
CREATE TABLE parent_pins (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    pin_hash    TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE TABLE device_sessions (
    family_id   TEXT PRIMARY KEY,
    parent_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX device_sessions_learner_idx ON device_sessions (learner_id);

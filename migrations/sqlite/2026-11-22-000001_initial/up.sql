-- studyhub: the whole data model (SQLite dialect; postgres/ has the same names).
-- Ids are text UUIDv7 (slugs for activities and achievements), timestamps are UTC
-- `timestamp`, JSON is stored as text so both backends share one schema.rs.

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('parent', 'teacher', 'student', 'admin')),
    password_hash   TEXT NOT NULL,
    token_version   INTEGER NOT NULL DEFAULT 0,
    active          BOOLEAN NOT NULL DEFAULT 1,
    last_login_at   TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    spent_at    TIMESTAMP,
    revoked_at  TIMESTAMP,
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE realtime_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    learner_id  TEXT,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX realtime_tickets_expires_idx ON realtime_tickets (expires_at);

CREATE TABLE learners (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES users (id) ON DELETE CASCADE,
    user_id     TEXT UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    age         INTEGER,
    interests   TEXT NOT NULL DEFAULT '[]',
    avatar_url  TEXT,
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CHECK (parent_id IS NOT NULL OR user_id IS NOT NULL)
);
CREATE INDEX learners_parent_idx ON learners (parent_id);

CREATE TABLE learner_settings (
    learner_id                TEXT PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
    daily_time_limit_seconds  INTEGER NOT NULL DEFAULT 3600,
    volume                    REAL NOT NULL DEFAULT 0.8,
    narration_enabled         BOOLEAN NOT NULL DEFAULT 1,
    notifications_enabled     BOOLEAN NOT NULL DEFAULT 1,
    updated_at                TIMESTAMP NOT NULL
);

CREATE TABLE activities (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    category      TEXT NOT NULL,
    sub_category  TEXT,
    difficulty    INTEGER NOT NULL CHECK (difficulty BETWEEN 1 AND 5),
    age_min       INTEGER NOT NULL,
    age_max       INTEGER NOT NULL,
    content       TEXT NOT NULL,
    author_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX activities_category_idx ON activities (category, sub_category);
CREATE INDEX activities_author_idx ON activities (author_id);

CREATE TABLE activity_sessions (
    id                  TEXT PRIMARY KEY,
    learner_id          TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    activity_id         TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    status              TEXT NOT NULL CHECK (status IN ('open', 'completed', 'abandoned')),
    questions_total     INTEGER NOT NULL,
    questions_answered  INTEGER NOT NULL DEFAULT 0,
    questions_correct   INTEGER NOT NULL DEFAULT 0,
    accuracy            REAL,
    stars               INTEGER,
    last_saved_seq      INTEGER NOT NULL DEFAULT 0,
    started_at          TIMESTAMP NOT NULL,
    ended_at            TIMESTAMP,
    duration_seconds    INTEGER,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX activity_sessions_learner_status_idx ON activity_sessions (learner_id, status);
CREATE INDEX activity_sessions_learner_ended_idx ON activity_sessions (learner_id, ended_at);
CREATE INDEX activity_sessions_activity_idx ON activity_sessions (activity_id);

CREATE TABLE answers (
    session_id     TEXT NOT NULL REFERENCES activity_sessions (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    question_id    TEXT NOT NULL,
    response       BLOB NOT NULL,
    correct        BOOLEAN NOT NULL,
    first_attempt  BOOLEAN NOT NULL,
    answered_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, seq)
);

CREATE TABLE achievements (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    category        TEXT,
    criteria        TEXT NOT NULL,
    reward_points   INTEGER NOT NULL DEFAULT 0,
    badge_icon_url  TEXT,
    created_at      TIMESTAMP NOT NULL
);

CREATE TABLE learner_achievements (
    learner_id      TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    achievement_id  TEXT NOT NULL REFERENCES achievements (id) ON DELETE CASCADE,
    unlocked_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (learner_id, achievement_id)
);

CREATE TABLE daily_progress (
    learner_id            TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    date                  DATE NOT NULL,
    category              TEXT NOT NULL,
    activities_completed  INTEGER NOT NULL DEFAULT 0,
    questions_answered    INTEGER NOT NULL DEFAULT 0,
    questions_correct     INTEGER NOT NULL DEFAULT 0,
    study_seconds         INTEGER NOT NULL DEFAULT 0,
    stars                 INTEGER NOT NULL DEFAULT 0,
    points                INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (learner_id, date, category)
);

CREATE TABLE screen_time_logs (
    id          TEXT PRIMARY KEY,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    date        DATE NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    seconds     INTEGER NOT NULL DEFAULT 0,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX screen_time_logs_learner_date_idx ON screen_time_logs (learner_id, date);

CREATE TABLE screen_time_grants (
    id          TEXT PRIMARY KEY,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    date        DATE NOT NULL,
    seconds     INTEGER NOT NULL,
    granted_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX screen_time_grants_learner_date_idx ON screen_time_grants (learner_id, date);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    read_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX notifications_parent_created_idx ON notifications (parent_id, created_at);
CREATE INDEX notifications_parent_unread_idx ON notifications (parent_id, read_at);

CREATE TABLE classes (
    id          TEXT PRIMARY KEY,
    teacher_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    subject     TEXT,
    join_code   TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX classes_teacher_idx ON classes (teacher_id);

CREATE TABLE class_members (
    class_id    TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    joined_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (class_id, learner_id)
);
CREATE INDEX class_members_learner_idx ON class_members (learner_id);

CREATE TABLE page_progress (
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    page_id     TEXT NOT NULL,
    title       TEXT NOT NULL,
    seconds     INTEGER NOT NULL DEFAULT 0,
    completed   BOOLEAN NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (learner_id, page_id)
);

CREATE TABLE assessments (
    id               TEXT PRIMARY KEY,
    learner_id       TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    teacher_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    class_id         TEXT REFERENCES classes (id) ON DELETE SET NULL,
    assessment_type  TEXT NOT NULL,
    component        TEXT NOT NULL,
    grade            TEXT NOT NULL,
    percentage       REAL,
    feedback         TEXT,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX assessments_learner_idx ON assessments (learner_id);

CREATE TABLE drawings (
    id            TEXT PRIMARY KEY,
    learner_id    TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    category      TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX drawings_learner_idx ON drawings (learner_id);

CREATE TABLE backup_logs (
    id            TEXT PRIMARY KEY,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    scope         TEXT NOT NULL CHECK (scope IN ('user', 'system')),
    status        TEXT NOT NULL,
    object_key    TEXT,
    size_bytes    BIGINT,
    error         TEXT,
    created_at    TIMESTAMP NOT NULL,
    completed_at  TIMESTAMP,
    expires_at    TIMESTAMP NOT NULL
);
CREATE INDEX backup_logs_user_idx ON backup_logs (user_id);
CREATE INDEX backup_logs_expires_idx ON backup_logs (expires_at);

CREATE TABLE audit_logs (
    id           TEXT PRIMARY KEY,
    user_id      TEXT REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    old_values   TEXT,
    new_values   TEXT,
    ip_address   TEXT,
    user_agent   TEXT,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX audit_logs_created_idx ON audit_logs (created_at);
CREATE INDEX audit_logs_user_created_idx ON audit_logs (user_id, created_at);

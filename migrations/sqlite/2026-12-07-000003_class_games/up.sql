-- Class games leave a record: the game with its PIN (unique among games not over yet, on
-- every node), who played, and each question's results, for the teacher's report.
-- A student's extra time in a class lengthens their deadline in its games.
ALTER TABLE class_members ADD COLUMN extra_time_percent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE class_games (
    id                    TEXT PRIMARY KEY,
    class_id              TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    teacher_id            TEXT NOT NULL,
    activity_id           TEXT NOT NULL,
    pin                   TEXT NOT NULL,
    seconds_per_question  INTEGER NOT NULL,
    question_count        INTEGER NOT NULL,
    -- lobby, question, revealed, over
    state                 TEXT NOT NULL,
    question_index        INTEGER,
    created_at            TIMESTAMP NOT NULL,
    ended_at              TIMESTAMP
);
CREATE UNIQUE INDEX class_games_open_pin ON class_games (pin) WHERE ended_at IS NULL;
CREATE INDEX class_games_class_idx ON class_games (class_id, created_at);

CREATE TABLE class_game_players (
    game_id     TEXT NOT NULL REFERENCES class_games (id) ON DELETE CASCADE,
    learner_id  TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    joined_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (game_id, learner_id)
);

CREATE TABLE class_game_answers (
    game_id         TEXT NOT NULL REFERENCES class_games (id) ON DELETE CASCADE,
    learner_id      TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    question_index  INTEGER NOT NULL,
    correct         BOOLEAN NOT NULL,
    points          INTEGER NOT NULL,
    millis          BIGINT NOT NULL,
    PRIMARY KEY (game_id, learner_id, question_index)
);

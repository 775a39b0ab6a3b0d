-- The IGCSE Study Hub's quiz results, graded by its client: kept as they were sent, counted in
-- progress. And what was imported from the hub's saved data, so a file sent twice adds nothing.
CREATE TABLE quiz_results (
    id                  TEXT PRIMARY KEY,
    learner_id          TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    quiz_id             TEXT NOT NULL,
    quiz_title          TEXT NOT NULL,
    score               INTEGER NOT NULL,
    total_questions     INTEGER NOT NULL,
    percentage          REAL NOT NULL,
    time_spent_seconds  INTEGER NOT NULL,
    answers             TEXT NOT NULL,
    client_graded       BOOLEAN NOT NULL,
    completed_at        TIMESTAMP NOT NULL,
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX quiz_results_learner_idx ON quiz_results (learner_id, completed_at);

CREATE TABLE study_hub_imports (
    learner_id   TEXT NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    item_key     TEXT NOT NULL,
    imported_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (learner_id, item_key)
);

-- Pupils without an email (young children in a school): their class's teacher makes them, and
-- they sign in with the class code, their name and two pictures, or with a printed card. Their
-- users row is an ordinary student's, with a marker (`pupil:<user id>`) where an email would be
-- and no password. The card's token is made again from its nonce and the server's key (to
-- print it); only its hash is kept, to find the pupil by it.
CREATE TABLE pupils (
    learner_id  TEXT PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
    class_id    TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    picture_a   TEXT NOT NULL,
    picture_b   TEXT NOT NULL,
    card_nonce  TEXT NOT NULL,
    card_hash   TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX pupils_class_idx ON pupils (class_id);

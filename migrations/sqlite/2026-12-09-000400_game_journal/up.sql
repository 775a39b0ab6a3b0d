-- A class game's journal: every step that changes it, in order, so that any node can run
-- the game (a replica applies the steps) and a game outlives the node that made it.
CREATE TABLE class_game_steps (
    game_id  TEXT NOT NULL REFERENCES class_games (id) ON DELETE CASCADE,
    n        BIGINT NOT NULL,
    at       TIMESTAMP NOT NULL,
    -- The step as JSON (actors/src/game/journal.rs).
    step     TEXT NOT NULL,
    PRIMARY KEY (game_id, n)
);

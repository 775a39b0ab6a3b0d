DROP TABLE class_game_answers;
DROP TABLE class_game_players;
DROP TABLE class_games;
ALTER TABLE class_members DROP COLUMN extra_time_percent;

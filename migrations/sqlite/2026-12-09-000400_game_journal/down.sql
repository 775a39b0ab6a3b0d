DROP TABLE class_game_steps;

DROP TABLE study_hub_imports;
DROP TABLE quiz_results;

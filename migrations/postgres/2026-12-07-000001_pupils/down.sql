DROP TABLE pupils;

ALTER TABLE activities DROP COLUMN visibility;

ALTER TABLE reports DROP COLUMN media_url;

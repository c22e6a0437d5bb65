-- Open311: the media_url a request was filed with (a link to a photo; uploads are not stored).
ALTER TABLE reports ADD COLUMN media_url TEXT;

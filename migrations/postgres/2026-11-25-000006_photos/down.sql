DROP INDEX reports_lat_lon;
DROP TRIGGER report_photos_map_generation ON report_photos;
DROP TRIGGER reports_map_generation ON reports;
DROP FUNCTION bump_map_generation();
DROP TABLE map_generation;
DROP TABLE photo_upload_secret;
DROP TABLE report_photos;

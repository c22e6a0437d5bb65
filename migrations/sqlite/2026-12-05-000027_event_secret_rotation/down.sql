ALTER TABLE event_endpoints DROP COLUMN previous_secret_until;
ALTER TABLE event_endpoints DROP COLUMN previous_secret;

-- Rotating an event endpoint's secret: the old secret keeps signing beside the new one
-- until `previous_secret_until`, so the receiver can switch without losing events.
ALTER TABLE event_endpoints ADD COLUMN previous_secret text;
ALTER TABLE event_endpoints ADD COLUMN previous_secret_until timestamptz;

DROP TABLE IF EXISTS event_deliveries;
DROP TABLE IF EXISTS report_events;
DROP TABLE IF EXISTS event_endpoints;

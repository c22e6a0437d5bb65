-- Who imported a boundary file: `staff:<account id>` (the admin API or the console with an
-- account), `admin` (the configured admin token), `cli` (`meldpunt areas import`) or
-- `seed` (the demo configuration); '' for imports made before this was recorded.
ALTER TABLE area_imports ADD COLUMN imported_by TEXT NOT NULL DEFAULT '';

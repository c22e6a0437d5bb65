ALTER TABLE area_imports DROP COLUMN imported_by;

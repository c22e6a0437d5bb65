DROP INDEX reports_map_cell2;
DROP INDEX reports_map_cell1;
DROP INDEX reports_map_cell0;

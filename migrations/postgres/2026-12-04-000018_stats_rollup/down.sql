DROP TABLE stats_rollup_state;
DROP TABLE stats_months;

-- Key figures of CBS areas by year (e.g. the number of inhabitants), so statistics can say
-- "reports per 1,000 inhabitants" with the year of the figure used. One value per area,
-- year and figure: loading the same three again replaces the value. `source` is the
-- attribution shown with the figure (e.g. `CBS 85984NED`); `loaded_from` is where the file
-- came from (`api`, or the seed file's name).
CREATE TABLE area_figures (
    code TEXT NOT NULL,
    year INTEGER NOT NULL,
    figure TEXT NOT NULL,
    value BIGINT NOT NULL,
    source TEXT NOT NULL,
    loaded_from TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (code, year, figure)
);
-- The summary groups by figure and year.
CREATE INDEX area_figures_figure_year ON area_figures (figure, year);

//! The map's grid: three cell sizes, the cells a box touches at each, and where a cell of
//! the finest size has its centre. Every report has a cell at each size, and the map reads
//! a box cell by cell (see `storage::map`, which holds the same cell expressions in SQL).
//!
//! The finest size is the grid reports in sensitive categories are snapped to
//! ([`privacy::coarsen`](super::privacy::coarsen)), so such a report lies in the same cell
//! as its shown centre at every size. The snapping itself stays in `privacy`: it is the rule
//! of what the public sees, used wherever a report is shown (not only on the map); this grid
//! is built to agree with it, and a test checks that it does.

use super::privacy::cell_centre;
use super::report::Location;

/// One cell size of the map's grid: a report's cell is `row * 1000000 + column`, with
/// `row = floor((lat + 90) * rows_per_degree)` and `column = floor((lon + 180) *
/// columns_per_degree)`. The factors are exact in binary, so the database and this code
/// compute the same cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// 0.0025° × 0.004° (about 280 m square in the Netherlands): the grid sensitive reports
    /// are snapped to.
    Finest,
    /// 8 times coarser than [`Level::Finest`].
    Middle,
    /// 64 times coarser than [`Level::Finest`].
    Coarsest,
}

impl Level {
    /// The levels, finest first.
    pub const ALL: [Level; 3] = [Level::Finest, Level::Middle, Level::Coarsest];

    /// Cell rows per degree of latitude.
    pub const fn rows_per_degree(self) -> f64 {
        match self {
            Level::Finest => 400.0,
            Level::Middle => 50.0,
            Level::Coarsest => 6.25,
        }
    }

    /// Cell columns per degree of longitude.
    pub const fn columns_per_degree(self) -> f64 {
        match self {
            Level::Finest => 250.0,
            Level::Middle => 31.25,
            Level::Coarsest => 3.90625,
        }
    }
}

/// Most cells one query reads; a box touching more at one level is read at a coarser one.
/// (At the coarsest level the largest box the map accepts, 0.6° a side, touches at most
/// 5 × 4 cells.)
pub const MAX_CELLS: usize = 36;

/// A box's edges, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bounds {
    /// Whether `at` lies in the box (edges included).
    pub fn contains(&self, at: Location) -> bool {
        (self.min_lat..=self.max_lat).contains(&at.lat) && (self.min_lon..=self.max_lon).contains(&at.lon)
    }
}

/// The centre of a cell of the finest level (`row * 1000000 + column`), as sensitive
/// reports in it are shown.
pub fn cell_centre_of(cell: i64) -> Location {
    // Rows and columns are below 2^53: exact as f64.
    cell_centre((cell / 1_000_000) as f64, (cell % 1_000_000) as f64)
}

/// The grid level and the cells a box touches: the finest level with at most
/// [`MAX_CELLS`] cells (else the coarsest).
pub fn cells_of(bounds: Bounds) -> (Level, Vec<i64>) {
    let span = |level: Level| {
        // `floor` of a finite value within ±360 × 400: the casts are exact.
        let row = |lat: f64| ((lat + 90.0) * level.rows_per_degree()).floor() as i64;
        let column = |lon: f64| ((lon + 180.0) * level.columns_per_degree()).floor() as i64;
        (row(bounds.min_lat), row(bounds.max_lat), column(bounds.min_lon), column(bounds.max_lon))
    };
    let chosen = Level::ALL
        .into_iter()
        .find(|&level| {
            let (south, north, west, east) = span(level);
            usize::try_from((north - south + 1) * (east - west + 1)).is_ok_and(|count| count <= MAX_CELLS)
        })
        .unwrap_or(Level::Coarsest);
    let (south, north, west, east) = span(chosen);
    let cells = (south..=north).flat_map(|row| (west..=east).map(move |column| row * 1_000_000 + column)).collect();
    (chosen, cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::privacy::coarsen;

    fn bounds(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Bounds {
        Bounds { min_lon, min_lat, max_lon, max_lat }
    }

    #[test]
    fn sensitive_reports_are_snapped_to_the_finest_level_of_the_grid() {
        use crate::domain::privacy::{COARSE_COLUMNS_PER_DEGREE, COARSE_ROWS_PER_DEGREE};
        let [finest, ..] = Level::ALL;
        assert_eq!(
            (finest.rows_per_degree(), finest.columns_per_degree()),
            (COARSE_ROWS_PER_DEGREE, COARSE_COLUMNS_PER_DEGREE)
        );
    }

    #[test]
    fn the_centre_of_a_finest_cell_is_where_its_sensitive_reports_are_shown() {
        for i in 0..5_000 {
            let exact = Location { lat: 50.7 + f64::from(i) * 0.000_137, lon: 5.8 + f64::from(i) * 0.000_091 };
            let (_, cells) =
                cells_of(Bounds { min_lon: exact.lon, min_lat: exact.lat, max_lon: exact.lon, max_lat: exact.lat });
            assert_eq!(cells.len(), 1);
            assert_eq!(cell_centre_of(cells[0]), coarsen(exact), "{exact:?}");
        }
    }

    #[test]
    fn a_box_is_read_at_the_finest_level_with_few_cells() {
        // A neighbourhood: level 0, the 2 × 2 cells it touches.
        let (level, cells) = cells_of(bounds(6.0325, 50.9134, 6.0374, 50.9165));
        assert_eq!(level, Level::Finest);
        assert_eq!(cells, vec![56_365_046_508, 56_365_046_509, 56_366_046_508, 56_366_046_509]);
        // A town: level 1.
        let (level, cells) = cells_of(bounds(5.9, 50.85, 6.0, 50.95));
        assert_eq!(level, Level::Middle);
        assert!(cells.len() <= MAX_CELLS);
        // The largest box accepted: level 2, at most 20 cells.
        let (level, cells) = cells_of(bounds(5.5, 50.5, 6.1, 51.1));
        assert_eq!(level, Level::Coarsest);
        assert!(cells.len() <= 20, "{cells:?}");
    }
}

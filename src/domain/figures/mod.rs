//! CBS key figures per area and year (the number of inhabitants and a few more), loaded by
//! an admin from a CSV file ([`parse_figure_file`], in `file.rs`; `row.rs` checks each line),
//! and the rule that picks the figure of the year nearest to the one a statistic is about
//! ([`figure_for_year`]).

mod file;
mod row;

use std::ops::RangeInclusive;

pub use file::parse_figure_file;

/// The figure statistics divide by: the number of inhabitants.
pub const POPULATION: &str = "population";

/// The years a figure may be of.
pub const YEARS: RangeInclusive<i32> = 1900..=2100;

/// The columns of the simple layout.
pub const SIMPLE_COLUMNS: [&str; 5] = ["code", "year", "figure", "value", "source"];

/// The columns of a CBS kerncijfers file that are taken as figures of the same name. The
/// population density is left out: it is derived from two of these.
pub const KERNCIJFERS_FIGURES: [&str; 7] =
    ["population", "men", "women", "dwellings", "land_area_ha", "total_area_ha", "water_area_ha"];

/// One key figure of one area in one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaFigure {
    /// CBS code of the area, e.g. `BU09171000`.
    pub code: String,
    /// The year the figure describes.
    pub year: i32,
    /// What it counts, e.g. [`POPULATION`].
    pub figure: String,
    /// The number, 0 or more.
    pub value: i64,
    /// Where it comes from, shown with it, e.g. `CBS 85984NED`.
    pub source: String,
}

/// Which of the two layouts a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureLayout {
    /// `code,year,figure,value,source`.
    Simple,
    /// A CBS kerncijfers file.
    Kerncijfers,
}

/// A checked file of key figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureFile {
    /// The layout it was read as.
    pub layout: FigureLayout,
    /// Every figure in it, in file order.
    pub figures: Vec<AreaFigure>,
}

/// The figure to use for `target` among one area's figures by year: the newest year at or
/// before `target`, else (only newer figures exist) the oldest year after it. `None` when
/// there are none. Returns the year used with its value.
pub fn figure_for_year(years: &[(i32, i64)], target: i32) -> Option<(i32, i64)> {
    let at_or_before = years.iter().filter(|(year, _)| *year <= target).max_by_key(|(year, _)| *year);
    at_or_before.or_else(|| years.iter().filter(|(year, _)| *year > target).min_by_key(|(year, _)| *year)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figure_of_the_target_year_is_used_when_there_is_one() {
        let years = [(2023, 86_000), (2024, 87_461)];
        assert_eq!(figure_for_year(&years, 2024), Some((2024, 87_461)));
        assert_eq!(figure_for_year(&years, 2023), Some((2023, 86_000)));
    }

    #[test]
    fn a_later_year_uses_the_newest_figure_before_it_whatever_the_order() {
        let years = [(2024, 87_461), (2020, 86_000), (2023, 87_000)];
        assert_eq!(figure_for_year(&years, 2026), Some((2024, 87_461)));
        assert_eq!(figure_for_year(&years, 2022), Some((2020, 86_000)));
    }

    #[test]
    fn a_year_before_every_figure_uses_the_oldest_figure_after_it() {
        let years = [(2024, 87_461), (2023, 87_000)];
        assert_eq!(figure_for_year(&years, 2019), Some((2023, 87_000)));
    }

    #[test]
    fn no_figures_give_no_figure() {
        assert_eq!(figure_for_year(&[], 2024), None);
    }

    proptest::proptest! {
        #[test]
        fn the_year_used_is_the_nearest_at_or_before_the_target_else_the_nearest_after(
            years in proptest::collection::btree_set(1990i32..2030, 1..8),
            target in 1985i32..2035,
        ) {
            let figures: Vec<(i32, i64)> = years.iter().rev().map(|&year| (year, i64::from(year) * 10)).collect();
            let (year, value) = figure_for_year(&figures, target).unwrap_or_default();
            proptest::prop_assert_eq!(value, i64::from(year) * 10);
            if years.iter().any(|&y| y <= target) {
                proptest::prop_assert!(year <= target && !years.iter().any(|&y| y > year && y <= target));
            } else {
                proptest::prop_assert_eq!(Some(&year), years.first());
            }
        }
    }
}

//! What the public may see of a report. Reporter contact details are never part of a
//! report view at all; this module decides about description and location, [`masking`]
//! hides personal data in what residents type, and [`moderation`] lets staff hide or
//! rewrite a description for the public. [`audit`] is the privacy officer's view of the audit
//! of staff access to reporters' contact details.

pub mod audit;
pub mod masking;
pub mod moderation;

use super::category::Category;
use super::report::Location;

/// The grid to which public locations in sensitive categories are snapped: the map's finest
/// grid cells (see [`super::map_grid`]), 1/400° of latitude (≈ 280 m) by 1/250° of longitude
/// (≈ 280 m in the Netherlands). A cell's row is `floor((lat + 90) * 400)` and its column
/// `floor((lon + 180) * 250)`, computed exactly as the map's cell index computes them, so a
/// report and the centre it is shown at always lie in the same map cell, at every level of
/// the map's grid (the coarser levels are 8 and 64 times this one, and scaling by a power
/// of two rounds alike): the map finds a report by its shown centre in the cells the box
/// touches, without reading any others.
pub const COARSE_ROWS_PER_DEGREE: f64 = 400.0;
/// See [`COARSE_ROWS_PER_DEGREE`].
pub const COARSE_COLUMNS_PER_DEGREE: f64 = 250.0;

/// Who is looking at a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The resident who just filed it (the intake answer): sees what they sent.
    Submitter,
    /// Anyone.
    Public,
}

/// What of a report an audience may see.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Disclosure {
    /// Whether the description and address are shown.
    pub show_text: bool,
    /// The location to show, if any.
    pub location: Option<Location>,
}

/// Decides what `audience` may see of a report in `category` at `location`: everything
/// for the submitter; for the public, nothing of a non-public category, and for a
/// sensitive one no text and a location snapped to the centre of a ~280 m grid cell.
pub fn disclose(category: &Category, location: Location, audience: Audience) -> Disclosure {
    match audience {
        Audience::Submitter => Disclosure { show_text: true, location: Some(location) },
        Audience::Public if !category.is_public => Disclosure { show_text: false, location: None },
        Audience::Public if category.is_sensitive => Disclosure { show_text: false, location: Some(coarsen(location)) },
        Audience::Public => Disclosure { show_text: true, location: Some(location) },
    }
}

/// Snaps a location to the centre of its grid cell.
pub fn coarsen(location: Location) -> Location {
    Location { lat: centre_lat(coarse_row(location.lat)), lon: centre_lon(coarse_column(location.lon)) }
}

/// The grid row of a latitude (a whole number).
pub fn coarse_row(lat: f64) -> f64 {
    ((lat + 90.0) * COARSE_ROWS_PER_DEGREE).floor()
}

/// The grid column of a longitude (a whole number).
pub fn coarse_column(lon: f64) -> f64 {
    ((lon + 180.0) * COARSE_COLUMNS_PER_DEGREE).floor()
}

/// The centre of the grid cell in `row` and `column`, as [`coarsen`] shows the locations
/// in it.
pub fn cell_centre(row: f64, column: f64) -> Location {
    Location { lat: centre_lat(row), lon: centre_lon(column) }
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

fn centre_lat(row: f64) -> f64 {
    round6((row + 0.5) / COARSE_ROWS_PER_DEGREE - 90.0)
}

fn centre_lon(column: f64) -> f64 {
    round6((column + 0.5) / COARSE_COLUMNS_PER_DEGREE - 180.0)
}

/// The grid rows whose centre latitude (as shown) lies in `min..=max`: first and last
/// (first > last: none).
pub fn rows_centred_within(min: f64, max: f64) -> (f64, f64) {
    centred_within(min, max, coarse_row, centre_lat)
}

/// The grid columns whose centre longitude (as shown) lies in `min..=max`: first and last
/// (first > last: none).
pub fn columns_centred_within(min: f64, max: f64) -> (f64, f64) {
    centred_within(min, max, coarse_column, centre_lon)
}

fn centred_within(min: f64, max: f64, index: fn(f64) -> f64, centre: fn(f64) -> f64) -> (f64, f64) {
    let mut first = index(min) - 1.0;
    while centre(first) < min {
        first += 1.0;
    }
    let mut last = index(max) + 1.0;
    while centre(last) > max {
        last -= 1.0;
    }
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_points_coarsen_to_the_same_cell_centre() {
        let a = coarsen(Location { lat: 50.88751, lon: 5.97601 });
        let b = coarsen(Location { lat: 50.88999, lon: 5.97999 });
        assert_eq!(a, b);
        assert!((a.lat - 50.88875).abs() < 1e-9 && (a.lon - 5.978).abs() < 1e-9, "{a:?}");
    }

    #[test]
    fn the_cells_centred_in_a_range_are_exactly_those_whose_values_are_shown_there() {
        let ranges = [(50.8875, 50.89), (50.8887, 50.8888), (50.88875, 50.88875), (50.8876, 50.8877), (5.978, 5.99)];
        for (min, max) in ranges {
            type Axis = (fn(f64, f64) -> (f64, f64), fn(f64) -> f64, fn(f64) -> f64);
            let axes: [Axis; 2] =
                [(rows_centred_within, coarse_row, centre_lat), (columns_centred_within, coarse_column, centre_lon)];
            for (within, index, centre) in axes {
                let (first, last) = within(min, max);
                for i in 0..4000 {
                    let value = min - 0.01 + f64::from(i) * 0.000_007_3;
                    let shown = centre(index(value));
                    let by_index = (first..=last).contains(&index(value));
                    assert_eq!((min..=max).contains(&shown), by_index, "{value} in {min}..={max}");
                }
            }
        }
    }

    #[test]
    fn a_report_and_its_shown_centre_lie_in_the_same_cell_at_every_level_of_the_map() {
        for i in 0..20_000 {
            let exact = Location { lat: 50.0 + f64::from(i) * 0.000_123_7, lon: 5.0 + f64::from(i) * 0.000_171_3 };
            let shown = coarsen(exact);
            // The rows and columns per degree of the map's three levels (`map_grid::Level`).
            for (rows, columns) in [(400.0, 250.0), (50.0, 31.25), (6.25, 3.90625)] {
                let cell = |at: Location| (((at.lat + 90.0) * rows).floor(), ((at.lon + 180.0) * columns).floor());
                assert_eq!(cell(exact), cell(shown), "{exact:?} -> {shown:?}, level {rows} × {columns}");
            }
        }
    }
}

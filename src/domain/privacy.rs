//! What the public may see of a report. Reporter contact details are never part of a
//! report view at all; this module decides about description and location.

use super::category::Category;
use super::report::Location;

/// Grid cell size, in degrees, to which public locations in sensitive categories are
/// snapped: 0.002° latitude ≈ 220 m, 0.003° longitude ≈ 210 m in the Netherlands.
pub const COARSE_LAT_STEP: f64 = 0.002;
/// See [`COARSE_LAT_STEP`].
pub const COARSE_LON_STEP: f64 = 0.003;

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
/// sensitive one no text and a location snapped to the centre of a ~200 m grid cell.
pub fn disclose(category: &Category, location: Location, audience: Audience) -> Disclosure {
    match audience {
        Audience::Submitter => Disclosure { show_text: true, location: Some(location) },
        Audience::Public if !category.is_public => Disclosure { show_text: false, location: None },
        Audience::Public if category.is_sensitive => Disclosure { show_text: false, location: Some(coarsen(location)) },
        Audience::Public => Disclosure { show_text: true, location: Some(location) },
    }
}

/// How far a coarsened location may lie from the exact one, in degrees of latitude and
/// longitude: half a grid cell each way, plus the rounding to six decimals. A report whose
/// shown centre lies in a box therefore lies in that box widened by this much.
pub const COARSE_REACH: Location = Location { lat: COARSE_LAT_STEP / 2.0 + 1e-6, lon: COARSE_LON_STEP / 2.0 + 1e-6 };

/// Snaps a location to the centre of its grid cell.
pub fn coarsen(location: Location) -> Location {
    let snap = |value: f64, step: f64| centre((value / step).floor(), step);
    Location { lat: snap(location.lat, COARSE_LAT_STEP), lon: snap(location.lon, COARSE_LON_STEP) }
}

/// The centre of grid cell `index` (`floor(value / step)` of the values in it), rounded to
/// six decimals.
fn centre(index: f64, step: f64) -> f64 {
    (((index + 0.5) * step) * 1e6).round() / 1e6
}

/// On one axis of the grid (`step`: [`COARSE_LAT_STEP`] or [`COARSE_LON_STEP`]): the cells
/// whose centre lies in `min..=max`, as the first and last index `floor(value / step)` of
/// the values they hold (first > last: none). A value `v` is shown inside exactly when
/// `first <= v / step < last + 1`, which a database computes as this code does (one
/// IEEE division and two comparisons), so a query can select by the shown centre.
pub fn cells_centred_within(min: f64, max: f64, step: f64) -> (f64, f64) {
    let mut first = (min / step).floor() - 1.0;
    while centre(first, step) < min {
        first += 1.0;
    }
    let mut last = (max / step).floor() + 1.0;
    while centre(last, step) > max {
        last -= 1.0;
    }
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_points_coarsen_to_the_same_cell_centre() {
        let a = coarsen(Location { lat: 50.88801, lon: 5.97951 });
        let b = coarsen(Location { lat: 50.88899, lon: 5.98099 });
        assert_eq!(a, b);
        assert!((a.lat - 50.889).abs() < 1e-9 && (a.lon - 5.9805).abs() < 1e-9, "{a:?}");
    }

    #[test]
    fn the_cells_centred_in_a_range_are_exactly_those_whose_values_are_shown_there() {
        let ranges = [(50.888, 50.890), (50.8889, 50.8891), (50.889, 50.889), (50.8885, 50.8886), (5.9805, 5.99)];
        for (min, max) in ranges {
            for step in [COARSE_LAT_STEP, COARSE_LON_STEP] {
                let (first, last) = cells_centred_within(min, max, step);
                for i in 0..4000 {
                    let value = min - 0.01 + f64::from(i) * 0.000_007_3;
                    let shown = centre((value / step).floor(), step);
                    let by_range = first <= value / step && value / step < last + 1.0;
                    assert_eq!((min..=max).contains(&shown), by_range, "{value} in {min}..={max}, step {step}");
                }
            }
        }
    }

    #[test]
    fn a_coarsened_location_is_within_reach_of_the_exact_one() {
        for i in 0..20_000 {
            let exact = Location { lat: 50.0 + f64::from(i) * 0.000_123_7, lon: 5.0 + f64::from(i) * 0.000_171_3 };
            let shown = coarsen(exact);
            assert!((shown.lat - exact.lat).abs() <= COARSE_REACH.lat, "{exact:?} -> {shown:?}");
            assert!((shown.lon - exact.lon).abs() <= COARSE_REACH.lon, "{exact:?} -> {shown:?}");
        }
    }
}

//! The in-memory spatial index that stamps a location with its gemeente, wijk and buurt.
//!
//! An R-tree (rstar) over the bounding boxes of every polygon finds the few candidates for
//! a point; an exact point-in-polygon test (geo) decides. A point on a shared edge lies in
//! both neighbours; the one with the smallest code wins, so it resolves the same way every
//! time. CBS simplifies its gemeente, wijk and buurt layers separately, so along municipal
//! borders they disagree by up to ~100 m: the buurt layer decides the wijk and gemeente of a
//! point inside a buurt, and a point just outside every buurt of its municipality takes the
//! nearest buurt within [`NEAREST_BUURT_METERS`].

use std::collections::HashMap;

use geo::{Closest, ClosestPoint, Coord, Intersects, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::area::{Area, AreaLevel};

/// How far outside every buurt a point may be and still take the nearest one.
pub const NEAREST_BUURT_METERS: f64 = 150.0;

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Areas of the current boundary year of each level, indexed for point lookups.
#[derive(Default)]
pub struct AreaIndex {
    areas: Vec<Area>,
    parts: Vec<(u32, Polygon<f64>)>,
    trees: PerLevel<RTree<Entry>>,
    by_code: HashMap<String, u32>,
}

/// Where a point is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located<'a> {
    /// The municipality.
    pub gemeente_code: &'a str,
    /// The municipality's area, when its polygon is loaded.
    pub gemeente: Option<&'a Area>,
    /// The wijk, when known.
    pub wijk: Option<&'a Area>,
    /// The buurt, when the point is in (or next to) one.
    pub buurt: Option<&'a Area>,
    /// Boundary year of the finest level found.
    pub year: i32,
}

/// One value for each CBS level.
#[derive(Default)]
struct PerLevel<T> {
    gemeente: T,
    wijk: T,
    buurt: T,
}

impl<T> PerLevel<T> {
    fn get(&self, level: AreaLevel) -> &T {
        match level {
            AreaLevel::Gemeente => &self.gemeente,
            AreaLevel::Wijk => &self.wijk,
            AreaLevel::Buurt => &self.buurt,
        }
    }

    fn get_mut(&mut self, level: AreaLevel) -> &mut T {
        match level {
            AreaLevel::Gemeente => &mut self.gemeente,
            AreaLevel::Wijk => &mut self.wijk,
            AreaLevel::Buurt => &mut self.buurt,
        }
    }
}

impl AreaIndex {
    /// Builds the index from `areas`, keeping for each level only its newest year.
    pub fn new(areas: Vec<Area>) -> Self {
        let mut newest: PerLevel<Option<i32>> = PerLevel::default();
        for area in &areas {
            let year = newest.get_mut(area.level);
            *year = Some(year.map_or(area.year, |y| y.max(area.year)));
        }
        let current: Vec<Area> = areas.into_iter().filter(|a| *newest.get(a.level) == Some(a.year)).collect();
        let mut parts = Vec::new();
        let mut entries: PerLevel<Vec<Entry>> = PerLevel::default();
        let mut by_code = HashMap::with_capacity(current.len());
        for (index, area) in (0u32..).zip(&current) {
            by_code.insert(area.code.clone(), index);
            for polygon in &area.geometry.0 {
                let Some(rect) = geo::BoundingRect::bounding_rect(polygon) else { continue };
                let part = u32::try_from(parts.len()).unwrap_or(u32::MAX);
                let envelope = Rectangle::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
                entries.get_mut(area.level).push(GeomWithData::new(envelope, part));
                parts.push((index, polygon.clone()));
            }
        }
        let trees = PerLevel {
            gemeente: RTree::bulk_load(entries.gemeente),
            wijk: RTree::bulk_load(entries.wijk),
            buurt: RTree::bulk_load(entries.buurt),
        };
        AreaIndex { areas: current, parts, trees, by_code }
    }

    /// How many areas are indexed.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The current year's area with this code.
    pub fn area(&self, code: &str) -> Option<&Area> {
        self.by_code.get(code).and_then(|&i| self.areas.get(i as usize))
    }

    /// Every indexed area.
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// The area of `level` containing the point (edges included; smallest code on a tie).
    pub fn find(&self, level: AreaLevel, lon: f64, lat: f64) -> Option<&Area> {
        let point = Coord { x: lon, y: lat };
        let mut best: Option<&Area> = None;
        for entry in self.trees.get(level).locate_all_at_point(&[lon, lat]) {
            let Some((area_index, polygon)) = self.parts.get(entry.data as usize) else { continue };
            let Some(area) = self.areas.get(*area_index as usize) else { continue };
            if best.is_some_and(|b| b.code <= area.code) {
                continue;
            }
            if polygon.intersects(&point) {
                best = Some(area);
            }
        }
        best
    }

    /// The nearest area of `level` within `max_meters` of the point, optionally only in one
    /// municipality.
    pub fn nearest(
        &self,
        level: AreaLevel,
        lon: f64,
        lat: f64,
        max_meters: f64,
        gemeente: Option<&str>,
    ) -> Option<&Area> {
        let meters_per_degree_lat = 111_320.0;
        let meters_per_degree_lon = 111_320.0 * lat.to_radians().cos().max(0.01);
        let reach = max_meters / meters_per_degree_lon.min(meters_per_degree_lat);
        let envelope = AABB::from_corners([lon - reach, lat - reach], [lon + reach, lat + reach]);
        let target = Point::new(lon, lat);
        let mut best: Option<(f64, &Area)> = None;
        for entry in self.trees.get(level).locate_in_envelope_intersecting(&envelope) {
            let Some((area_index, polygon)) = self.parts.get(entry.data as usize) else { continue };
            let Some(area) = self.areas.get(*area_index as usize) else { continue };
            if gemeente.is_some_and(|g| g != area.gemeente_code) {
                continue;
            }
            let closest = match polygon.closest_point(&target) {
                Closest::Intersection(p) | Closest::SinglePoint(p) => p,
                Closest::Indeterminate => continue,
            };
            let dx = (closest.x() - lon) * meters_per_degree_lon;
            let dy = (closest.y() - lat) * meters_per_degree_lat;
            let distance = (dx * dx + dy * dy).sqrt();
            let better = best.is_none_or(|(d, a)| distance < d || (distance == d && area.code < a.code));
            if distance <= max_meters && better {
                best = Some((distance, area));
            }
        }
        best.map(|(_, area)| area)
    }

    /// Every area of `level` whose shape intersects `shape`, each once, by code.
    pub fn intersecting(&self, level: AreaLevel, shape: &geo::MultiPolygon<f64>) -> Vec<&Area> {
        let Some(rect) = geo::BoundingRect::bounding_rect(shape) else { return Vec::new() };
        let envelope = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        let mut found: Vec<&Area> = Vec::new();
        for entry in self.trees.get(level).locate_in_envelope_intersecting(&envelope) {
            let Some((area_index, polygon)) = self.parts.get(entry.data as usize) else { continue };
            let Some(area) = self.areas.get(*area_index as usize) else { continue };
            if found.iter().any(|a| a.code == area.code) {
                continue;
            }
            if polygon.intersects(shape) {
                found.push(area);
            }
        }
        found.sort_by(|a, b| a.code.cmp(&b.code));
        found
    }

    /// Where a point is: its buurt (or the nearest one of its municipality), the wijk and
    /// gemeente that buurt belongs to; else its gemeente and wijk alone. `None` when the
    /// point is in no known municipality.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<Located<'_>> {
        if !(lon.is_finite() && lat.is_finite()) {
            return None;
        }
        // The buurt layer decides when the point is in a buurt: the (large, costly) gemeente
        // polygons are only tested when it is not.
        let (buurt, gemeente) = match self.find(AreaLevel::Buurt, lon, lat) {
            Some(buurt) => (Some(buurt), None),
            None => {
                let gemeente = self.find(AreaLevel::Gemeente, lon, lat);
                let code = gemeente.map(|g| g.gemeente_code.as_str());
                (self.nearest(AreaLevel::Buurt, lon, lat, NEAREST_BUURT_METERS, code), gemeente)
            }
        };
        if let Some(buurt) = buurt {
            let wijk = buurt.wijk_code.as_deref().and_then(|code| self.area(code));
            return Some(Located {
                gemeente_code: &buurt.gemeente_code,
                gemeente: self
                    .area(&buurt.gemeente_code)
                    .or_else(|| gemeente.or_else(|| self.find(AreaLevel::Gemeente, lon, lat))),
                wijk,
                buurt: Some(buurt),
                year: buurt.year,
            });
        }
        let gemeente = gemeente?;
        let wijk = self.find(AreaLevel::Wijk, lon, lat).filter(|w| w.gemeente_code == gemeente.code);
        Some(Located {
            gemeente_code: &gemeente.code,
            gemeente: Some(gemeente),
            wijk,
            buurt: None,
            year: gemeente.year,
        })
    }
}

#[cfg(test)]
mod tests {
    use geo::{LineString, MultiPolygon};

    use super::*;

    fn square(level: AreaLevel, code: &str, x: f64, y: f64, size: f64) -> Area {
        let ring = LineString::from(vec![(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]);
        Area {
            level,
            code: code.into(),
            name: code.into(),
            year: 2025,
            gemeente_code: super::super::area::gemeente_of(code).unwrap_or_default(),
            wijk_code: (level == AreaLevel::Buurt).then(|| super::super::area::wijk_of(code).unwrap_or_default()),
            geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
        }
    }

    fn index() -> AreaIndex {
        AreaIndex::new(vec![
            square(AreaLevel::Gemeente, "GM0917", 0.0, 0.0, 2.0),
            square(AreaLevel::Wijk, "WK091710", 0.0, 0.0, 2.0),
            square(AreaLevel::Buurt, "BU09171000", 0.0, 0.0, 1.0),
            square(AreaLevel::Buurt, "BU09171001", 1.0, 0.0, 1.0),
        ])
    }

    #[test]
    fn a_point_takes_its_buurt_with_that_buurts_wijk_and_gemeente() {
        let index = index();
        let located = index
            .locate(0.5, 0.5)
            .map(|l| (l.gemeente_code, l.buurt.map(|b| b.code.as_str()), l.wijk.map(|w| w.code.as_str())));
        assert_eq!(located, Some(("GM0917", Some("BU09171000"), Some("WK091710"))));
    }

    #[test]
    fn a_point_on_a_shared_edge_resolves_to_the_smaller_code_every_time() {
        let index = index();
        for _ in 0..10 {
            assert_eq!(index.find(AreaLevel::Buurt, 1.0, 0.5).map(|a| a.code.as_str()), Some("BU09171000"));
        }
    }

    #[test]
    fn a_point_outside_every_municipality_is_nowhere() {
        assert!(index().locate(5.0, 5.0).is_none());
    }

    #[test]
    fn only_the_newest_year_of_a_level_is_indexed() {
        let mut old = square(AreaLevel::Buurt, "BU09171099", 0.0, 0.0, 1.0);
        old.year = 2024;
        let mut areas = vec![old];
        areas.extend(index().areas().to_vec());
        let index = AreaIndex::new(areas);
        assert!(index.area("BU09171099").is_none());
        assert_eq!(index.len(), 4);
    }

    mod property {
        use geo::{BoundingRect, Contains};
        use proptest::prelude::*;

        use super::super::super::area::parse_area_file;
        use super::*;

        fn heerlen() -> AreaIndex {
            let text = include_str!("../../data/seed/heerlen-buurten.geojson");
            let document: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            AreaIndex::new(parse_area_file(&document, AreaLevel::Buurt, 2025).unwrap_or_default())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, max_global_rejects: 200_000, ..ProptestConfig::default() })]

            #[test]
            fn a_random_point_inside_a_buurt_maps_to_that_buurt(pick in 0usize..57, u in 0.0f64..1.0, v in 0.0f64..1.0) {
                static INDEX: std::sync::OnceLock<AreaIndex> = std::sync::OnceLock::new();
                let index = INDEX.get_or_init(heerlen);
                prop_assert_eq!(index.len(), 57);
                let buurt = index.areas().get(pick).cloned();
                prop_assume!(buurt.is_some());
                let buurt = buurt.unwrap_or_else(|| unreachable!());
                let Some(rect) = buurt.geometry.bounding_rect() else { return Err(TestCaseError::fail("no bbox")) };
                let point = Point::new(rect.min().x + u * rect.width(), rect.min().y + v * rect.height());
                prop_assume!(buurt.geometry.contains(&point));
                let found = index.find(AreaLevel::Buurt, point.x(), point.y()).map(|a| a.code.clone());
                prop_assert_eq!(found.as_deref(), Some(buurt.code.as_str()));
                let located = index.locate(point.x(), point.y()).and_then(|l| l.buurt).map(|b| b.code.clone());
                prop_assert_eq!(located, Some(buurt.code));
            }
        }
    }
}

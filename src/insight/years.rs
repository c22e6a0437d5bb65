//! The areas of each loaded boundary year, indexed for point lookups and kept per areas
//! generation, so statistics in any year can place a report by its stored location.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::area::{Area, AreaLevel};
use crate::domain::spatial::AreaIndex;
use crate::storage::{DbConnection, StorageError};

/// One boundary year's areas.
pub struct YearAreas {
    /// The year.
    pub year: i32,
    /// Its areas, indexed.
    pub index: AreaIndex,
}

impl YearAreas {
    /// Whether `area` lies in any of the `filter` codes (itself, its wijk or its gemeente).
    pub fn in_filter(area: &Area, filter: &[String]) -> bool {
        filter.iter().any(|code| {
            *code == area.code || *code == area.gemeente_code || area.wijk_code.as_deref() == Some(code.as_str())
        })
    }

    /// The code at `level` of an area (its own, its wijk's or its gemeente's), if any.
    pub fn code_at(area: &Area, level: AreaLevel) -> Option<&str> {
        match (level, area.level) {
            (AreaLevel::Gemeente, _) => Some(&area.gemeente_code),
            (AreaLevel::Wijk, AreaLevel::Wijk) | (AreaLevel::Buurt, AreaLevel::Buurt) => Some(&area.code),
            (AreaLevel::Wijk, AreaLevel::Buurt) => area.wijk_code.as_deref(),
            _ => None,
        }
    }

    /// Where a point lies in this year: (gemeente, wijk, buurt) codes.
    pub fn place(&self, lon: f64, lat: f64) -> Option<(String, Option<String>, Option<String>)> {
        let located = self.index.locate(lon, lat)?;
        Some((
            located.gemeente_code.to_owned(),
            located.wijk.map(|w| w.code.clone()),
            located.buurt.map(|b| b.code.clone()),
        ))
    }
}

/// The cache of indexed years.
#[derive(Default)]
pub struct Years {
    cached: Mutex<HashMap<i32, (i64, Arc<YearAreas>)>>,
}

impl Years {
    /// The areas of `year` as of areas generation `generation` (blocking: reads the database
    /// on a miss).
    pub fn get(&self, conn: &mut DbConnection, year: i32, generation: i64) -> Result<Arc<YearAreas>, StorageError> {
        if let Ok(cached) = self.cached.lock()
            && let Some((seen, areas)) = cached.get(&year)
            && *seen == generation
        {
            return Ok(Arc::clone(areas));
        }
        let areas = crate::storage::areas::of_year(conn, year)?;
        let built = Arc::new(YearAreas { year, index: AreaIndex::new(areas) });
        if let Ok(mut cached) = self.cached.lock() {
            cached.insert(year, (generation, Arc::clone(&built)));
        }
        Ok(built)
    }
}

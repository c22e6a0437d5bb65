//! The map's read path: reports in a bounding box, newest first, in pages; and the map
//! generation, a counter that database triggers bump on every change to reports or photos
//! (see the `photos` migration), so every process can tell cheaply whether an answer it
//! cached is still right.
//!
//! The box is read through a grid (see [`crate::domain::map_grid`] and the `map_spatial`
//! migration): every report has a cell key at three cell sizes, each indexed as `(cell,
//! created_at, id)` with every column the map shows. A query takes the finest size at which
//! the box touches at most [`MAX_CELLS`](crate::domain::map_grid::MAX_CELLS) cells, reads
//! each of those cells newest first (the reports outside the box are skipped inside the
//! index) and merges them in the database (`UNION ALL … ORDER BY created_at DESC, id DESC
//! LIMIT n`: SQLite merges the ordered arms lazily, PostgreSQL with a Merge Append), so a
//! page costs about `n` index entries plus the skipped ones of the edge cells, whatever the
//! number of reports in the box or in its latitude band.
//!
//! Reports in sensitive categories are shown at the centre of a coarse grid cell
//! ([`coarsen`]), so whether one is in a box is decided by that centre alone, never by its
//! exact position: otherwise shrinking boxes around a shown point would find the exact
//! place. The grid they are snapped to is this map's finest grid, so such a report lies in
//! the same cell as its shown centre at every level: the cells the box touches hold it, and
//! each arm selects those reports by the row and column of their cell (the cell expression
//! of the index, so exactly as [`coarsen`] computes it) whose centre lies in the box. Every
//! row is checked again here with [`coarsen`] itself.
//!
//! Each report's first photo is on its row (`first_photo_id`, kept by triggers: see the
//! `map_first_photo` migration) and in the cell indexes, so a page is that one read. Rows
//! are decoded by position into plain values (UUIDs and instants parsed straight from
//! SQLite's text, no intermediate strings).

mod decode;
mod query;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use self::decode::{postgres_reports_in_box, sqlite_reports_in_box};
use super::schema::map_generation;
use super::{DbConnection, StorageError};
use crate::domain::map_grid::Bounds;
use crate::domain::privacy::coarsen;
use crate::domain::report::Location;

/// Which reports a map page asks for.
#[derive(Debug, Clone)]
pub struct MapQuery {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
    /// Only these statuses (`None`: all).
    pub statuses: Option<Vec<String>>,
    pub categories: CategoryFilter,
    /// The categories whose reports are shown at their coarse cell's centre: such a report
    /// is in the box when that centre is, wherever it lies itself.
    pub sensitive: Vec<Uuid>,
    /// Only reports received at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Only reports after this one in the order (newest first): `(created_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Which categories a map query covers.
#[derive(Debug, Clone)]
pub enum CategoryFilter {
    Only(Vec<Uuid>),
    AllBut(Vec<Uuid>),
}

/// What the map shows of a report (nothing personal, no text).
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    pub id: Uuid,
    /// Public reference.
    pub reference: String,
    /// Subcategory id.
    pub category_id: Uuid,
    /// Status (as stored).
    pub status: String,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// Latitude (exact: the caller coarsens where needed).
    pub lat: f64,
    pub lon: f64,
    /// Its first photo (lowest position), if it has any.
    pub first_photo_id: Option<Uuid>,
}

/// One page of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPage {
    /// The reports in the box, newest first, at most the query's limit.
    pub points: Vec<MapPoint>,
    /// When the page is full: where the next one starts (the last report read).
    pub next: Option<(DateTime<Utc>, Uuid)>,
}

impl MapQuery {
    /// The box it asks for.
    fn bounds(&self) -> Bounds {
        Bounds { min_lon: self.min_lon, min_lat: self.min_lat, max_lon: self.max_lon, max_lat: self.max_lat }
    }
}

/// The current map generation.
pub fn generation(conn: &mut DbConnection) -> Result<i64, StorageError> {
    Ok(map_generation::table.find(1).select(map_generation::value).first(conn)?)
}
/// Whether a report belongs on the map of the box `query` asks for: by its shown centre
/// in a sensitive category, else by its place.
fn belongs(query: &MapQuery, point: &MapPoint) -> bool {
    let exact = Location { lat: point.lat, lon: point.lon };
    let shown = if query.sensitive.contains(&point.category_id) { coarsen(exact) } else { exact };
    query.bounds().contains(shown)
}

/// One map page: the reports in the query's box (see the module's documentation on
/// sensitive categories), newest first, at most `query.limit`.
pub fn reports_in_box(conn: &mut DbConnection, query: &MapQuery) -> Result<MapPage, StorageError> {
    let mut points = match conn {
        DbConnection::Sqlite(sqlite) => sqlite_reports_in_box(sqlite, query)?,
        DbConnection::Postgresql(pg) => postgres_reports_in_box(pg, query)?,
    };
    let full = i64::try_from(points.len()).unwrap_or(i64::MAX) >= query.limit;
    let next = points.last().filter(|_| full).map(|point| (point.created_at, point.id));
    // The query selects exactly these; should it ever disagree with `coarsen`, the report is
    // left out (the page is then one short, and the cursor still moves past it).
    points.retain(|point| belongs(query, point));
    Ok(MapPage { points, next })
}

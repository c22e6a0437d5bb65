//! The map's read path: reports in a bounding box, newest first, in pages; and the map
//! generation, a counter that database triggers bump on every change to reports or photos
//! (see the `photos` migration), so every process can tell cheaply whether an answer it
//! cached is still right.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::connection::{DbTime, DbUuid};
use super::schema::{map_generation, reports};
use super::{DbConnection, StorageError};

/// Which reports a map page asks for.
#[derive(Debug, Clone)]
pub struct MapQuery {
    /// West edge (longitude).
    pub min_lon: f64,
    /// South edge (latitude).
    pub min_lat: f64,
    /// East edge (longitude).
    pub max_lon: f64,
    /// North edge (latitude).
    pub max_lat: f64,
    /// Only these statuses (`None`: all).
    pub statuses: Option<Vec<String>>,
    /// Which categories.
    pub categories: CategoryFilter,
    /// Only reports received at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Only reports after this one in the order (newest first): `(created_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Most reports.
    pub limit: i64,
}

/// Which categories a map query covers.
#[derive(Debug, Clone)]
pub enum CategoryFilter {
    /// Only these.
    Only(Vec<Uuid>),
    /// All but these.
    AllBut(Vec<Uuid>),
}

/// What the map shows of a report (nothing personal, no text).
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    /// Report id.
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
    /// Longitude.
    pub lon: f64,
}

/// The current map generation.
pub fn generation(conn: &mut DbConnection) -> Result<i64, StorageError> {
    Ok(map_generation::table.find(1).select(map_generation::value).first(conn)?)
}

/// The reports of one map page.
pub fn reports_in_box(conn: &mut DbConnection, query: &MapQuery) -> Result<Vec<MapPoint>, StorageError> {
    let mut select = reports::table
        .filter(reports::lat.between(query.min_lat, query.max_lat))
        .filter(reports::lon.between(query.min_lon, query.max_lon))
        .select((
            reports::id,
            reports::reference,
            reports::category_id,
            reports::status,
            reports::created_at,
            reports::lat,
            reports::lon,
        ))
        .order((reports::created_at.desc(), reports::id.desc()))
        .limit(query.limit)
        .into_boxed();
    select = match &query.categories {
        CategoryFilter::Only(ids) => select.filter(reports::category_id.eq_any(ids.iter().copied().map(DbUuid))),
        CategoryFilter::AllBut(ids) if ids.is_empty() => select,
        CategoryFilter::AllBut(ids) => select.filter(reports::category_id.ne_all(ids.iter().copied().map(DbUuid))),
    };
    if let Some(statuses) = &query.statuses {
        select = select.filter(reports::status.eq_any(statuses.clone()));
    }
    if let Some(since) = query.since {
        select = select.filter(reports::created_at.ge(DbTime::new(since)));
    }
    if let Some((at, id)) = query.after {
        let at = DbTime::new(at);
        select =
            select.filter(reports::created_at.lt(at).or(reports::created_at.eq(at).and(reports::id.lt(DbUuid(id)))));
    }
    let rows: Vec<(DbUuid, String, DbUuid, String, DbTime, f64, f64)> = select.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, category_id, status, created_at, lat, lon)| MapPoint {
            id: id.0,
            reference,
            category_id: category_id.0,
            status,
            created_at: created_at.0,
            lat,
            lon,
        })
        .collect())
}

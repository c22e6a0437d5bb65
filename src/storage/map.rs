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
    if let DbConnection::Sqlite(sqlite) = conn {
        return sqlite_reports_in_box(sqlite, query);
    }
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

/// A map row as SQLite returns it (UUIDs and instants are text there).
#[derive(QueryableByName)]
struct SqliteMapRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    reference: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    category_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    created_at: String,
    #[diesel(sql_type = diesel::sql_types::Double)]
    lat: f64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    lon: f64,
}

/// The SQLite form of the query. SQLite's planner, with statistics, likes to walk the
/// `created_at` index for the ORDER BY … LIMIT and test every report against the box,
/// which reads the whole table for a small box; `INDEXED BY` pins the covering bbox index.
fn sqlite_reports_in_box(
    conn: &mut diesel::sqlite::SqliteConnection,
    query: &MapQuery,
) -> Result<Vec<MapPoint>, StorageError> {
    use diesel::sql_types::{BigInt, Double, Text};
    let placeholders = |n: usize| vec!["?"; n].join(", ");
    let mut sql = String::from(
        "SELECT id, reference, category_id, status, created_at, lat, lon FROM reports INDEXED BY reports_lat_lon \
         WHERE lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?",
    );
    let categories = match &query.categories {
        CategoryFilter::Only(ids) => {
            sql.push_str(&format!(" AND category_id IN ({})", placeholders(ids.len())));
            ids.clone()
        }
        CategoryFilter::AllBut(ids) if ids.is_empty() => Vec::new(),
        CategoryFilter::AllBut(ids) => {
            sql.push_str(&format!(" AND category_id NOT IN ({})", placeholders(ids.len())));
            ids.clone()
        }
    };
    if let Some(statuses) = &query.statuses {
        sql.push_str(&format!(" AND status IN ({})", placeholders(statuses.len())));
    }
    if query.since.is_some() {
        sql.push_str(" AND created_at >= ?");
    }
    if query.after.is_some() {
        sql.push_str(" AND (created_at < ? OR (created_at = ? AND id < ?))");
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
    let time = |at: DateTime<Utc>| DbTime::new(at).0.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let mut statement = diesel::sql_query(sql)
        .into_boxed::<diesel::sqlite::Sqlite>()
        .bind::<Double, _>(query.min_lat)
        .bind::<Double, _>(query.max_lat)
        .bind::<Double, _>(query.min_lon)
        .bind::<Double, _>(query.max_lon);
    for id in &categories {
        statement = statement.bind::<Text, _>(id.to_string());
    }
    for status in query.statuses.iter().flatten() {
        statement = statement.bind::<Text, _>(status.clone());
    }
    if let Some(since) = query.since {
        statement = statement.bind::<Text, _>(time(since));
    }
    if let Some((at, id)) = query.after {
        statement = statement.bind::<Text, _>(time(at)).bind::<Text, _>(time(at)).bind::<Text, _>(id.to_string());
    }
    let rows: Vec<SqliteMapRow> = statement.bind::<BigInt, _>(query.limit).load(conn)?;
    rows.into_iter()
        .map(|row| {
            let corrupt = |what: &str| StorageError::Corrupt(format!("report {}: {what}", row.id));
            Ok(MapPoint {
                id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id"))?,
                reference: row.reference.clone(),
                category_id: Uuid::parse_str(&row.category_id).map_err(|_| corrupt("category id"))?,
                status: row.status.clone(),
                created_at: DateTime::parse_from_rfc3339(&row.created_at)
                    .map_err(|_| corrupt("created_at"))?
                    .with_timezone(&Utc),
                lat: row.lat,
                lon: row.lon,
            })
        })
        .collect()
}

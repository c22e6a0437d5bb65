//! The area registry: importing CBS areas (one level and year at a time, all or nothing),
//! and reading them back.

use chrono::Utc;
use diesel::prelude::*;

use super::connection::DbTime;
use super::rows::{AreaImportRow, AreaRow};
use super::schema::{area_imports, areas};
use super::{DbConnection, StorageError, generation};
use crate::domain::area::{Area, AreaLevel, bounding_box, geometry_json, parse_geometry};

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// Areas stored.
    pub imported: usize,
    /// Areas of the same level and year that were replaced.
    pub replaced: usize,
}

/// An import that cannot be applied to the registry as it is.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The areas do not fit the registry (e.g. a buurt whose wijk is unknown).
    #[error("{0}")]
    Refused(String),
    /// Storing failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(error: diesel::result::Error) -> Self {
        ImportError::Storage(error.into())
    }
}

/// Stores `imported` (all of one `level` and `year`), replacing that level and year. A wijk
/// needs its gemeente and a buurt its wijk in the registry for the same year; replacing a
/// level must keep every finer area's parent. Nothing changes unless everything fits.
pub fn import(
    conn: &mut DbConnection,
    level: AreaLevel,
    year: i32,
    imported: &[Area],
    source: &str,
    by: &str,
) -> Result<ImportSummary, ImportError> {
    conn.write_transaction(|conn| {
        let parent = match level {
            AreaLevel::Gemeente => None,
            AreaLevel::Wijk => Some(AreaLevel::Gemeente),
            AreaLevel::Buurt => Some(AreaLevel::Wijk),
        };
        if let Some(parent) = parent {
            let known: std::collections::HashSet<String> = codes(conn, parent, year)?.into_iter().collect();
            for area in imported {
                let wanted = match parent {
                    AreaLevel::Wijk => area.wijk_code.clone().unwrap_or_default(),
                    _ => area.gemeente_code.clone(),
                };
                if !known.contains(&wanted) {
                    return Err(ImportError::Refused(format!(
                        "{} {} belongs to {} {wanted}, which is not in the registry for {year}; import the {}en of {year} first",
                        level.as_str(),
                        area.code,
                        parent.as_str(),
                        parent.as_str()
                    )));
                }
            }
        }
        let child = match level {
            AreaLevel::Gemeente => Some(AreaLevel::Wijk),
            AreaLevel::Wijk => Some(AreaLevel::Buurt),
            AreaLevel::Buurt => None,
        };
        if let Some(child) = child {
            let staying: std::collections::HashSet<&str> = imported.iter().map(|a| a.code.as_str()).collect();
            let orphans: Vec<AreaRow> = areas::table
                .filter(areas::level.eq(child.as_str()).and(areas::year.eq(year)))
                .select(AreaRow::as_select())
                .load(conn)?
                .into_iter()
                .filter(|row| {
                    let parent_code = if child == AreaLevel::Buurt { row.wijk_code.clone().unwrap_or_default() } else { row.gemeente_code.clone() };
                    !staying.contains(parent_code.as_str())
                })
                .collect();
            if let Some(orphan) = orphans.first() {
                return Err(ImportError::Refused(format!(
                    "this file leaves out the {} of {} {} ({year}); {} areas of {year} would lose their parent",
                    level.as_str(),
                    child.as_str(),
                    orphan.code,
                    orphans.len()
                )));
            }
        }
        let replaced = diesel::delete(areas::table.filter(areas::level.eq(level.as_str()).and(areas::year.eq(year)))).execute(conn)?;
        let now = DbTime::new(Utc::now());
        for area in imported {
            let [min_lon, min_lat, max_lon, max_lat] = bounding_box(&area.geometry);
            diesel::insert_into(areas::table)
                .values(AreaRow {
                    id: 0,
                    level: level.as_str().to_owned(),
                    code: area.code.clone(),
                    name: area.name.clone(),
                    year,
                    gemeente_code: area.gemeente_code.clone(),
                    wijk_code: area.wijk_code.clone(),
                    geometry: geometry_json(&area.geometry).to_string(),
                    min_lon,
                    min_lat,
                    max_lon,
                    max_lat,
                    imported_at: now,
                })
                .execute(conn)?;
        }
        diesel::insert_into(area_imports::table)
            .values(AreaImportRow {
                id: 0,
                level: level.as_str().to_owned(),
                year,
                features: i32::try_from(imported.len()).unwrap_or(i32::MAX),
                source: source.chars().take(200).collect(),
                imported_at: now,
                imported_by: by.chars().take(200).collect(),
            })
            .execute(conn)?;
        generation::bump_areas(conn)?;
        Ok(ImportSummary { imported: imported.len(), replaced })
    })
}

fn codes(conn: &mut DbConnection, level: AreaLevel, year: i32) -> Result<Vec<String>, StorageError> {
    Ok(areas::table.filter(areas::level.eq(level.as_str()).and(areas::year.eq(year))).select(areas::code).load(conn)?)
}

fn to_area(row: AreaRow) -> Result<Area, StorageError> {
    let level = AreaLevel::parse(&row.level)
        .ok_or_else(|| StorageError::Corrupt(format!("area {} has level {}", row.code, row.level)))?;
    let value: serde_json::Value = serde_json::from_str(&row.geometry)
        .map_err(|e| StorageError::Corrupt(format!("geometry of {}: {e}", row.code)))?;
    let geometry =
        parse_geometry(&value).map_err(|e| StorageError::Corrupt(format!("geometry of {}: {e}", row.code)))?;
    Ok(Area {
        level,
        code: row.code,
        name: row.name,
        year: row.year,
        gemeente_code: row.gemeente_code,
        wijk_code: row.wijk_code,
        geometry,
    })
}

/// Every area of every year.
pub fn load_all(conn: &mut DbConnection) -> Result<Vec<Area>, StorageError> {
    areas::table.select(AreaRow::as_select()).order(areas::id).load(conn)?.into_iter().map(to_area).collect()
}

/// Every area of one boundary year (all levels).
pub fn of_year(conn: &mut DbConnection, year: i32) -> Result<Vec<Area>, StorageError> {
    areas::table
        .filter(areas::year.eq(year))
        .select(AreaRow::as_select())
        .order(areas::id)
        .load(conn)?
        .into_iter()
        .map(to_area)
        .collect()
}

/// The loaded boundary years, oldest first.
pub fn years(conn: &mut DbConnection) -> Result<Vec<i32>, StorageError> {
    Ok(areas::table.select(areas::year).distinct().order(areas::year).load(conn)?)
}

/// Areas of one level and year, optionally only in one municipality, ordered by code.
pub fn list(
    conn: &mut DbConnection,
    level: AreaLevel,
    year: i32,
    gemeente: Option<&str>,
) -> Result<Vec<Area>, StorageError> {
    let mut query = areas::table.filter(areas::level.eq(level.as_str()).and(areas::year.eq(year))).into_boxed();
    if let Some(gemeente) = gemeente {
        query = query.filter(areas::gemeente_code.eq(gemeente.to_owned()));
    }
    query.select(AreaRow::as_select()).order(areas::code).load(conn)?.into_iter().map(to_area).collect()
}

/// The newest boundary year of a level, if any area of it is stored.
pub fn newest_year(conn: &mut DbConnection, level: AreaLevel) -> Result<Option<i32>, StorageError> {
    use diesel::dsl::max;
    Ok(areas::table.filter(areas::level.eq(level.as_str())).select(max(areas::year)).first(conn)?)
}

/// One past import.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub level: String,
    /// Boundary year.
    pub year: i32,
    /// Areas in the file.
    pub features: i32,
    /// Where it came from (file name or `api`).
    pub source: String,
    /// When.
    pub imported_at: chrono::DateTime<Utc>,
    /// Who: `staff:<account id>`, `admin` (the configured admin token), `cli`, `seed`, or
    /// '' (before it was recorded).
    pub imported_by: String,
}

/// Every import, newest first.
pub fn imports(conn: &mut DbConnection) -> Result<Vec<ImportRecord>, StorageError> {
    Ok(area_imports::table
        .select(AreaImportRow::as_select())
        .order(area_imports::id.desc())
        .load(conn)?
        .into_iter()
        .map(|row| ImportRecord {
            level: row.level,
            year: row.year,
            features: row.features,
            source: row.source,
            imported_at: row.imported_at.0,
            imported_by: row.imported_by,
        })
        .collect())
}

/// Whether any area is stored.
pub fn is_empty(conn: &mut DbConnection) -> Result<bool, StorageError> {
    let count: i64 = areas::table.count().get_result(conn)?;
    Ok(count == 0)
}

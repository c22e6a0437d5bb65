//! Key figures of CBS areas by year (`area_figures`): loading a checked file in one
//! transaction, replacing what was stored for the same area, year and figure; a summary
//! per figure and year; and the population of areas over the years.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::connection::DbTime;
use super::schema::area_figures;
use super::{DbConnection, ROWS_PER_STATEMENT, StorageError};
use crate::domain::figures::{AreaFigure, POPULATION};

/// Most codes in one `IN (…)` list.
const CODES_PER_QUERY: usize = 500;

/// An `area_figures` row as written.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = area_figures)]
#[diesel(treat_none_as_default_value = false)]
struct FigureRow {
    code: String,
    year: i32,
    figure: String,
    value: i64,
    source: String,
    loaded_from: String,
    imported_at: DbTime,
}

/// How many areas have one figure for one year from one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureSummary {
    /// What is counted, e.g. `population`.
    pub figure: String,
    /// The year the figures describe.
    pub year: i32,
    /// Where they come from, e.g. `CBS 85984NED`.
    pub source: String,
    /// How many areas have this figure for this year from this source.
    pub areas: i64,
}

/// Stores `figures` in one transaction: a figure already stored for the same area, year and
/// figure gets the new value, source and time. `loaded_from` says where the file came from
/// (`api`, or the seed file's name). Returns how many figures were stored. The figures are
/// expected to be checked ([`crate::domain::figures::parse_figure_file`]: each area, year
/// and figure at most once).
pub fn load(conn: &mut DbConnection, figures: &[AreaFigure], loaded_from: &str) -> Result<usize, StorageError> {
    let now = DbTime::new(Utc::now());
    let loaded_from: String = loaded_from.chars().take(200).collect();
    let rows: Vec<FigureRow> = figures
        .iter()
        .map(|f| FigureRow {
            code: f.code.clone(),
            year: f.year,
            figure: f.figure.clone(),
            value: f.value,
            source: f.source.clone(),
            loaded_from: loaded_from.clone(),
            imported_at: now,
        })
        .collect();
    conn.write_transaction(|conn| {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            use area_figures::dsl as f;
            // `INSERT … ON CONFLICT (code, year, figure) DO UPDATE`, which both backends
            // know; diesel builds it per backend, so the statement runs on the inner
            // connection.
            let upsert = diesel::insert_into(f::area_figures)
                .values(chunk)
                .on_conflict((f::code, f::year, f::figure))
                .do_update()
                .set((
                    f::value.eq(excluded(f::value)),
                    f::source.eq(excluded(f::source)),
                    f::loaded_from.eq(excluded(f::loaded_from)),
                    f::imported_at.eq(excluded(f::imported_at)),
                ));
            match conn {
                DbConnection::Sqlite(c) => upsert.execute(c)?,
                DbConnection::Postgresql(c) => upsert.execute(c)?,
            };
        }
        Ok(rows.len())
    })
}

/// Every figure and year stored, with its source and how many areas have it: by figure,
/// newest year first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<FigureSummary>, StorageError> {
    use area_figures::dsl as f;
    let rows: Vec<(String, i32, String, i64)> = f::area_figures
        .group_by((f::figure, f::year, f::source))
        .select((f::figure, f::year, f::source, diesel::dsl::count_star()))
        .order((f::figure.asc(), f::year.desc(), f::source.asc()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(figure, year, source, areas)| FigureSummary { figure, year, source, areas }).collect())
}

/// Every year's number of inhabitants of each of `codes` that has one: code to
/// `(year, value)`, oldest year first. Codes without figures are left out.
pub fn population(conn: &mut DbConnection, codes: &[String]) -> Result<HashMap<String, Vec<(i32, i64)>>, StorageError> {
    values(conn, POPULATION, codes)
}

/// Every year's value of `figure` for each of `codes` that has one, oldest year first.
pub fn values(
    conn: &mut DbConnection,
    figure: &str,
    codes: &[String],
) -> Result<HashMap<String, Vec<(i32, i64)>>, StorageError> {
    use area_figures::dsl as f;
    let mut unique: Vec<&str> = codes.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let mut by_code: HashMap<String, Vec<(i32, i64)>> = HashMap::new();
    for chunk in unique.chunks(CODES_PER_QUERY) {
        let rows: Vec<(String, i32, i64)> = f::area_figures
            .filter(f::figure.eq(figure))
            .filter(f::code.eq_any(chunk))
            .select((f::code, f::year, f::value))
            .order((f::code.asc(), f::year.asc()))
            .load(conn)?;
        for (code, year, value) in rows {
            by_code.entry(code).or_default().push((year, value));
        }
    }
    Ok(by_code)
}

/// Whether no figure is stored.
pub fn is_empty(conn: &mut DbConnection) -> Result<bool, StorageError> {
    let count: i64 = area_figures::table.count().get_result(conn)?;
    Ok(count == 0)
}

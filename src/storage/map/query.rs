//! The SQL of a map page: the grid's cell expressions as the indexes have them, and the
//! page query, built as SQL text and binds for either backend (one arm per cell the box
//! touches, merged newest first).

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{CategoryFilter, MapQuery};
use crate::domain::map_grid::{Bounds, Level, cell_centre_of, cells_of};
use crate::domain::privacy::{columns_centred_within, rows_centred_within};
use crate::storage::connection::DbTime;

/// The SQL of one level of the map's grid ([`Level`]).
struct LevelSql {
    index: &'static str,
    /// The cell expression as the SQLite index has it (CAST truncates: floor, as the values
    /// are not negative).
    sqlite: &'static str,
    /// The cell expression as the PostgreSQL index has it.
    postgres: &'static str,
}

/// The SQL of the grid levels, finest first (as [`Level::ALL`]). The expressions must be
/// exactly those of the `map_spatial` migrations, or the indexes are not used (a test
/// compares them), and their factors those of the level (a test checks).
static LEVEL_SQL: [LevelSql; 3] = [
    LevelSql {
        index: "reports_map_cell0",
        sqlite: "CAST((lat + 90.0) * 400.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 250.0 AS INTEGER)",
        postgres: "(floor((lat + 90.0::float8) * 400.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 250.0::float8))::bigint",
    },
    LevelSql {
        index: "reports_map_cell1",
        sqlite: "CAST((lat + 90.0) * 50.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 31.25 AS INTEGER)",
        postgres: "(floor((lat + 90.0::float8) * 50.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 31.25::float8))::bigint",
    },
    LevelSql {
        index: "reports_map_cell2",
        sqlite: "CAST((lat + 90.0) * 6.25 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 3.90625 AS INTEGER)",
        postgres: "(floor((lat + 90.0::float8) * 6.25::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 3.90625::float8))::bigint",
    },
];

fn sql_of(level: Level) -> &'static LevelSql {
    let [finest, middle, coarsest] = &LEVEL_SQL;
    match level {
        Level::Finest => finest,
        Level::Middle => middle,
        Level::Coarsest => coarsest,
    }
}

/// The row and column of a report's cell in the finest level, which is the grid sensitive
/// reports are snapped to (`privacy::COARSE_ROWS_PER_DEGREE`), as the level's SQLite
/// expression computes them (a test checks they are its parts).
const COARSE_CELL_SQLITE: [&str; 2] =
    ["CAST((lat + 90.0) * 400.0 AS INTEGER)", "CAST((lon + 180.0) * 250.0 AS INTEGER)"];

/// As [`COARSE_CELL_SQLITE`], for PostgreSQL.
const COARSE_CELL_POSTGRES: [&str; 2] =
    ["floor((lat + 90.0::float8) * 400.0::float8)", "floor((lon + 180.0::float8) * 250.0::float8)"];

/// A bind value of the page query.
#[derive(Debug, Clone)]
enum Bind {
    Flag(bool),
    Integer(i64),
    Degrees(f64),
    Id(Uuid),
    Ids(Vec<Uuid>),
    Text(String),
    /// Texts bound one after another, separated by commas (a list for `IN (…)`), shared
    /// between the arms of a query.
    TextList(std::sync::Arc<[String]>),
    Texts(Vec<String>),
    Time(DateTime<Utc>),
}

/// A piece of the page query: SQL text or a bind (its placeholder: `?` on SQLite, `$n` on
/// PostgreSQL).
#[derive(Debug, Clone)]
enum Piece {
    Sql(String),
    Bind(Bind),
}

/// The query of one map page: one arm per cell, merged newest first. Unlike `sql_query`,
/// diesel keeps it as a prepared statement (keyed by its text, which depends only on the
/// level, the number of cells and which filters are set), so a new box is not parsed and
/// planned anew; queries with status or category filters are not kept (their shapes are
/// many).
/// `ST` is the SQL type of its rows, which differs between the backends (UUIDs and instants
/// are text on SQLite).
#[derive(Debug, Clone)]
pub(super) struct PageQuery<ST> {
    pieces: Vec<Piece>,
    cacheable: bool,
    row: PhantomData<ST>,
}

/// The columns of a map row, in this order (decoded by position).
const COLUMNS: &str = "id, reference, category_id, status, created_at, lat, lon, first_photo_id";

impl<ST> PageQuery<ST> {
    pub(super) fn new(query: &MapQuery, postgres: bool) -> Self {
        let asked = query.bounds();
        let (grid_level, cells) = cells_of(asked);
        let level = sql_of(grid_level);
        // SQLite stores UUIDs and instants as text.
        let id = |id: Uuid| if postgres { Bind::Id(id) } else { Bind::Text(id.to_string()) };
        let time =
            |at: DateTime<Utc>| if postgres { Bind::Time(DbTime::new(at).0) } else { Bind::Text(sqlite_time(at)) };
        let mut pieces = Vec::new();
        // SQLite's lists of ids, as text once for all arms.
        let texts = |ids: &[Uuid]| -> std::sync::Arc<[String]> {
            if postgres { std::sync::Arc::from(Vec::new()) } else { ids.iter().map(Uuid::to_string).collect() }
        };
        let sensitive_texts = texts(&query.sensitive);
        let category_texts = texts(match &query.categories {
            CategoryFilter::Only(ids) | CategoryFilter::AllBut(ids) => ids,
        });
        let sql = |pieces: &mut Vec<Piece>, text: &str| match pieces.last_mut() {
            Some(Piece::Sql(last)) => last.push_str(text),
            _ => pieces.push(Piece::Sql(text.to_owned())),
        };
        let head = if postgres {
            format!("SELECT {COLUMNS} FROM reports WHERE {} = ", level.postgres)
        } else {
            format!("SELECT {COLUMNS} FROM reports INDEXED BY {} WHERE {} = ", level.index, level.sqlite)
        };
        // PostgreSQL orders and limits each arm (in parentheses), and a single arm is the
        // whole query (it refuses a second ORDER BY after one parenthesised SELECT).
        let parenthesised = postgres && cells.len() > 1;
        for (n, cell) in cells.iter().enumerate() {
            if n > 0 {
                sql(&mut pieces, " UNION ALL ");
            }
            if parenthesised {
                sql(&mut pieces, "(");
            }
            sql(&mut pieces, &head);
            pieces.push(Piece::Bind(Bind::Integer(*cell)));
            let within = |pieces: &mut Vec<Piece>, bounds: Bounds| {
                for (text, degrees) in [
                    ("lat BETWEEN ", bounds.min_lat),
                    (" AND ", bounds.max_lat),
                    (" AND lon BETWEEN ", bounds.min_lon),
                    (" AND ", bounds.max_lon),
                ] {
                    sql(pieces, text);
                    pieces.push(Piece::Bind(Bind::Degrees(degrees)));
                }
            };
            let list = |pieces: &mut Vec<Piece>, binds: Vec<Bind>| {
                for (i, bind) in binds.into_iter().enumerate() {
                    if i > 0 {
                        sql(pieces, ", ");
                    }
                    pieces.push(Piece::Bind(bind));
                }
            };
            let sensitive = |pieces: &mut Vec<Piece>, negated: bool| {
                if postgres {
                    sql(pieces, if negated { "category_id <> ALL(" } else { "category_id = ANY(" });
                    pieces.push(Piece::Bind(Bind::Ids(query.sensitive.clone())));
                } else {
                    sql(pieces, if negated { "category_id NOT IN (" } else { "category_id IN (" });
                    pieces.push(Piece::Bind(Bind::TextList(std::sync::Arc::clone(&sensitive_texts))));
                }
                sql(pieces, ")");
            };
            // Reports shown where they are: by their place in the box. Reports shown
            // coarsened: by whether the centre of their cell of the finest level lies in it.
            if query.sensitive.is_empty() {
                sql(&mut pieces, " AND ");
                within(&mut pieces, asked);
            } else {
                // Whether the report's finest cell has its centre in the box, checked before
                // its category so that the database looks categories up only for reports on
                // the other side of the box's edge from that centre (a lookup for every
                // report read costs about a third more).
                let [row, column] = if postgres { COARSE_CELL_POSTGRES } else { COARSE_CELL_SQLITE };
                let finest = grid_level == Level::Finest;
                let centred = |pieces: &mut Vec<Piece>| {
                    if finest {
                        // This arm's cell is one such cell: known here. A bound flag, so the
                        // statement's text and its cached plan do not depend on it.
                        pieces.push(Piece::Bind(Bind::Flag(asked.contains(cell_centre_of(*cell)))));
                        return;
                    }
                    // A larger cell, of many such cells: by the row and column of the
                    // report's finest cell (the index's own expression).
                    sql(pieces, "(");
                    for (n, (expression, (first, last))) in [
                        (row, rows_centred_within(asked.min_lat, asked.max_lat)),
                        (column, columns_centred_within(asked.min_lon, asked.max_lon)),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        sql(pieces, &format!("{}{expression} BETWEEN ", if n > 0 { " AND " } else { "" }));
                        pieces.push(Piece::Bind(Bind::Degrees(first)));
                        sql(pieces, " AND ");
                        pieces.push(Piece::Bind(Bind::Degrees(last)));
                    }
                    sql(pieces, ")");
                };
                sql(&mut pieces, " AND ((");
                within(&mut pieces, asked);
                sql(&mut pieces, " AND (");
                centred(&mut pieces);
                sql(&mut pieces, " OR ");
                sensitive(&mut pieces, true);
                sql(&mut pieces, ")) OR (");
                centred(&mut pieces);
                sql(&mut pieces, " AND ");
                sensitive(&mut pieces, false);
                sql(&mut pieces, "))");
            }
            let (categories, negated) = match &query.categories {
                CategoryFilter::Only(ids) => (ids, false),
                CategoryFilter::AllBut(ids) => (ids, true),
            };
            match (categories.is_empty(), negated) {
                (true, true) => {}
                (true, false) => sql(&mut pieces, " AND 1 = 0"),
                (false, _) if postgres => {
                    sql(&mut pieces, if negated { " AND category_id <> ALL(" } else { " AND category_id = ANY(" });
                    pieces.push(Piece::Bind(Bind::Ids(categories.clone())));
                    sql(&mut pieces, ")");
                }
                (false, _) => {
                    sql(&mut pieces, if negated { " AND category_id NOT IN (" } else { " AND category_id IN (" });
                    pieces.push(Piece::Bind(Bind::TextList(std::sync::Arc::clone(&category_texts))));
                    sql(&mut pieces, ")");
                }
            }
            match &query.statuses {
                None => {}
                Some(statuses) if statuses.is_empty() => sql(&mut pieces, " AND 1 = 0"),
                Some(statuses) if postgres => {
                    sql(&mut pieces, " AND status = ANY(");
                    pieces.push(Piece::Bind(Bind::Texts(statuses.clone())));
                    sql(&mut pieces, ")");
                }
                Some(statuses) => {
                    sql(&mut pieces, " AND status IN (");
                    list(&mut pieces, statuses.iter().cloned().map(Bind::Text).collect());
                    sql(&mut pieces, ")");
                }
            }
            if let Some(since) = query.since {
                sql(&mut pieces, " AND created_at >= ");
                pieces.push(Piece::Bind(time(since)));
            }
            if let Some((at, last)) = query.after {
                sql(&mut pieces, " AND (created_at, id) < (");
                pieces.push(Piece::Bind(time(at)));
                sql(&mut pieces, ", ");
                pieces.push(Piece::Bind(id(last)));
                sql(&mut pieces, ")");
            }
            if postgres {
                // Each arm ordered and limited: PostgreSQL then merges them (Merge Append)
                // and stops at the page's end, whatever it estimates a cell to hold.
                sql(&mut pieces, " ORDER BY created_at DESC, id DESC LIMIT ");
                pieces.push(Piece::Bind(Bind::Integer(query.limit)));
            }
            if parenthesised {
                sql(&mut pieces, ")");
            }
        }
        if !postgres || parenthesised {
            sql(&mut pieces, " ORDER BY created_at DESC, id DESC LIMIT ");
            pieces.push(Piece::Bind(Bind::Integer(query.limit)));
        }
        let default_categories = matches!(query.categories, CategoryFilter::AllBut(_));
        PageQuery { pieces, cacheable: query.statuses.is_none() && default_categories, row: PhantomData }
    }
}

impl<ST> diesel::query_builder::QueryId for PageQuery<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST: 'static> diesel::query_builder::Query for PageQuery<ST> {
    type SqlType = ST;
}

impl<ST, Conn> RunQueryDsl<Conn> for PageQuery<ST> {}

impl<ST> diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for PageQuery<ST> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Bool, Double, Text};
        if !self.cacheable {
            out.unsafe_to_cache_prepared();
        }
        for piece in &self.pieces {
            match piece {
                Piece::Sql(text) => out.push_sql(text),
                Piece::Bind(Bind::Flag(value)) => out.push_bind_param::<Bool, _>(value)?,
                Piece::Bind(Bind::Integer(value)) => out.push_bind_param::<BigInt, _>(value)?,
                Piece::Bind(Bind::Degrees(value)) => out.push_bind_param::<Double, _>(value)?,
                Piece::Bind(Bind::Text(text)) => out.push_bind_param::<Text, _>(text)?,
                Piece::Bind(Bind::TextList(texts)) => {
                    for (n, text) in texts.iter().enumerate() {
                        if n > 0 {
                            out.push_sql(", ");
                        }
                        out.push_bind_param::<Text, _>(text)?;
                    }
                }
                Piece::Bind(Bind::Id(_) | Bind::Time(_) | Bind::Ids(_) | Bind::Texts(_)) => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        "the map query for SQLite binds UUIDs and instants as text, and no arrays".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl<ST> diesel::query_builder::QueryFragment<diesel::pg::Pg> for PageQuery<ST> {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Bool, Double, Text, Timestamptz};
        if !self.cacheable {
            out.unsafe_to_cache_prepared();
        }
        for piece in &self.pieces {
            match piece {
                Piece::Sql(text) => out.push_sql(text),
                Piece::Bind(Bind::Flag(value)) => out.push_bind_param::<Bool, _>(value)?,
                Piece::Bind(Bind::Integer(value)) => out.push_bind_param::<BigInt, _>(value)?,
                Piece::Bind(Bind::Degrees(value)) => out.push_bind_param::<Double, _>(value)?,
                Piece::Bind(Bind::Id(id)) => out.push_bind_param::<diesel::sql_types::Uuid, _>(id)?,
                Piece::Bind(Bind::Ids(ids)) => out.push_bind_param::<Array<diesel::sql_types::Uuid>, _>(ids)?,
                Piece::Bind(Bind::Text(text)) => out.push_bind_param::<Text, _>(text)?,
                Piece::Bind(Bind::Texts(texts)) => out.push_bind_param::<Array<Text>, _>(texts)?,
                Piece::Bind(Bind::TextList(_)) => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        "the map query for PostgreSQL binds lists as arrays".into(),
                    ));
                }
                Piece::Bind(Bind::Time(at)) => out.push_bind_param::<Timestamptz, _>(at)?,
            }
        }
        Ok(())
    }
}

/// An instant as SQLite stores it (microseconds, UTC).
fn sqlite_time(at: DateTime<Utc>) -> String {
    DbTime::new(at).0.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cell_expressions_are_those_of_the_migrations() {
        let sqlite = include_str!("../../../migrations/sqlite/2026-11-25-000012_map_first_photo/up.sql");
        let postgres = include_str!("../../../migrations/postgres/2026-11-25-000012_map_first_photo/up.sql");
        for level in &LEVEL_SQL {
            assert!(
                sqlite.contains(&format!("INDEX {} ON reports (\n    ({}),", level.index, level.sqlite)),
                "{}",
                level.index
            );
            assert!(
                postgres.contains(&format!("INDEX {} ON reports (\n    ({}),", level.index, level.postgres)),
                "{}",
                level.index
            );
        }
    }

    #[test]
    fn the_cell_expressions_use_the_factors_of_their_level() {
        for level in Level::ALL {
            let sql = sql_of(level);
            for factor in [level.rows_per_degree(), level.columns_per_degree()] {
                assert!(sql.sqlite.contains(&format!(") * {factor:?} AS INTEGER)")), "{} {factor}", sql.index);
                assert!(sql.postgres.contains(&format!(") * {factor:?}::float8)")), "{} {factor}", sql.index);
            }
        }
    }

    #[test]
    fn sensitive_reports_are_snapped_to_the_finest_level_of_the_grid() {
        let finest = sql_of(Level::Finest);
        for part in COARSE_CELL_SQLITE {
            assert!(finest.sqlite.contains(part), "{part}");
        }
        for part in COARSE_CELL_POSTGRES {
            assert!(finest.postgres.contains(part), "{part}");
        }
    }
}

//! The map's read path: reports in a bounding box, newest first, in pages; and the map
//! generation, a counter that database triggers bump on every change to reports or photos
//! (see the `photos` migration), so every process can tell cheaply whether an answer it
//! cached is still right.
//!
//! The box is read through a grid (see the `map_spatial` migration): every report has a
//! cell key at three cell sizes, each indexed as `(cell, created_at, id)` with every column
//! the map shows. A query takes the finest size at which the box touches at most
//! [`MAX_CELLS`] cells, reads each of those cells newest first (the reports outside the box
//! are skipped inside the index) and merges them in the database (`UNION ALL … ORDER BY
//! created_at DESC, id DESC LIMIT n`: SQLite merges the ordered arms lazily, PostgreSQL with
//! a Merge Append), so a page costs about `n` index entries plus the skipped ones of the
//! edge cells, whatever the number of reports in the box or in its latitude band.
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

use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::prelude::*;
use diesel::sql_types::{Double, Nullable, Text, Timestamptz};
use diesel::sqlite::Sqlite;
use uuid::Uuid;

use super::connection::DbTime;
use super::schema::map_generation;
use super::{DbConnection, StorageError};
use crate::domain::privacy::{cell_centre, coarsen, columns_centred_within, rows_centred_within};
use crate::domain::report::Location;

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
    /// The categories whose reports are shown at their coarse cell's centre: such a report
    /// is in the box when that centre is, wherever it lies itself.
    pub sensitive: Vec<Uuid>,
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

/// The current map generation.
pub fn generation(conn: &mut DbConnection) -> Result<i64, StorageError> {
    Ok(map_generation::table.find(1).select(map_generation::value).first(conn)?)
}

/// One cell size of the map's grid: a report's cell is `row * 1000000 + column`, with
/// `row = floor((lat + 90) * rows_per_degree)` and `column = floor((lon + 180) *
/// columns_per_degree)`. The factors are exact in binary, so the database and this code
/// compute the same cells.
struct Level {
    rows_per_degree: f64,
    columns_per_degree: f64,
    /// The index of this level.
    index: &'static str,
    /// The cell expression as the SQLite index has it (CAST truncates: floor, as the values
    /// are not negative).
    sqlite: &'static str,
    /// The cell expression as the PostgreSQL index has it.
    postgres: &'static str,
}

/// The grid levels, finest first: 0.0025° × 0.004° (about 280 m square in the
/// Netherlands), then each 8 times coarser. The expressions must be exactly those of the
/// `map_spatial` migrations, or the indexes are not used (a test compares them).
const LEVELS: [Level; 3] = [
    Level {
        rows_per_degree: 400.0,
        columns_per_degree: 250.0,
        index: "reports_map_cell0",
        sqlite: "CAST((lat + 90.0) * 400.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 250.0 AS INTEGER)",
        postgres: "(floor((lat + 90.0::float8) * 400.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 250.0::float8))::bigint",
    },
    Level {
        rows_per_degree: 50.0,
        columns_per_degree: 31.25,
        index: "reports_map_cell1",
        sqlite: "CAST((lat + 90.0) * 50.0 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 31.25 AS INTEGER)",
        postgres: "(floor((lat + 90.0::float8) * 50.0::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 31.25::float8))::bigint",
    },
    Level {
        rows_per_degree: 6.25,
        columns_per_degree: 3.90625,
        index: "reports_map_cell2",
        sqlite: "CAST((lat + 90.0) * 6.25 AS INTEGER) * 1000000 + CAST((lon + 180.0) * 3.90625 AS INTEGER)",
        postgres: "(floor((lat + 90.0::float8) * 6.25::float8) * 1000000.0::float8 + floor((lon + 180.0::float8) * 3.90625::float8))::bigint",
    },
];

/// The row and column of a report's cell in the finest level, which is the grid sensitive
/// reports are snapped to (`privacy::COARSE_ROWS_PER_DEGREE`), as the level's SQLite
/// expression computes them (a test checks they are its parts).
const COARSE_CELL_SQLITE: [&str; 2] =
    ["CAST((lat + 90.0) * 400.0 AS INTEGER)", "CAST((lon + 180.0) * 250.0 AS INTEGER)"];

/// As [`COARSE_CELL_SQLITE`], for PostgreSQL.
const COARSE_CELL_POSTGRES: [&str; 2] =
    ["floor((lat + 90.0::float8) * 400.0::float8)", "floor((lon + 180.0::float8) * 250.0::float8)"];

/// Most cells one query reads; a box touching more at one level is read at a coarser one.
/// (At the coarsest level the largest box the map accepts, 0.6° a side, touches at most
/// 5 × 4 cells.)
pub const MAX_CELLS: usize = 36;

/// A box's edges, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bounds {
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
}

impl Bounds {
    /// The box a query asks for.
    fn of(query: &MapQuery) -> Self {
        Bounds { min_lon: query.min_lon, min_lat: query.min_lat, max_lon: query.max_lon, max_lat: query.max_lat }
    }

    fn contains(&self, at: Location) -> bool {
        (self.min_lat..=self.max_lat).contains(&at.lat) && (self.min_lon..=self.max_lon).contains(&at.lon)
    }
}

/// The centre of a cell of the finest level (`row * 1000000 + column`), as sensitive
/// reports in it are shown.
fn cell_centre_of(cell: i64) -> Location {
    // Rows and columns are below 2^53: exact as f64.
    cell_centre((cell / 1_000_000) as f64, (cell % 1_000_000) as f64)
}

/// Whether a report belongs on the map of the box `query` asks for: by its shown centre
/// in a sensitive category, else by its place.
fn belongs(query: &MapQuery, point: &MapPoint) -> bool {
    let exact = Location { lat: point.lat, lon: point.lon };
    let shown = if query.sensitive.contains(&point.category_id) { coarsen(exact) } else { exact };
    Bounds::of(query).contains(shown)
}

/// The grid level and the cells a box touches: the finest level with at most
/// [`MAX_CELLS`] cells (else the coarsest).
fn cells_of(bounds: Bounds) -> (&'static Level, Vec<i64>) {
    let span = |level: &Level| {
        // `floor` of a finite value within ±360 × 400: the casts are exact.
        let row = |lat: f64| ((lat + 90.0) * level.rows_per_degree).floor() as i64;
        let column = |lon: f64| ((lon + 180.0) * level.columns_per_degree).floor() as i64;
        (row(bounds.min_lat), row(bounds.max_lat), column(bounds.min_lon), column(bounds.max_lon))
    };
    let [.., coarsest] = &LEVELS;
    let chosen = LEVELS
        .iter()
        .find(|level| {
            let (south, north, west, east) = span(level);
            usize::try_from((north - south + 1) * (east - west + 1)).is_ok_and(|count| count <= MAX_CELLS)
        })
        .unwrap_or(coarsest);
    let (south, north, west, east) = span(chosen);
    let cells = (south..=north).flat_map(|row| (west..=east).map(move |column| row * 1_000_000 + column)).collect();
    (chosen, cells)
}

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
struct PageQuery<ST> {
    pieces: Vec<Piece>,
    cacheable: bool,
    row: PhantomData<ST>,
}

/// The columns of a map row, in this order (decoded by position).
const COLUMNS: &str = "id, reference, category_id, status, created_at, lat, lon, first_photo_id";

impl<ST> PageQuery<ST> {
    fn new(query: &MapQuery, postgres: bool) -> Self {
        let asked = Bounds::of(query);
        let (level, cells) = cells_of(asked);
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
                let finest = std::ptr::eq(level, &LEVELS[0]);
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

/// The SQL type of a map row on PostgreSQL.
type PostgresRow = (
    diesel::sql_types::Uuid,
    Text,
    diesel::sql_types::Uuid,
    Text,
    Timestamptz,
    Double,
    Double,
    Nullable<diesel::sql_types::Uuid>,
);

/// The PostgreSQL form of the query. The planner misjudges how many reports of a cell lie
/// in the box (it multiplies the selectivities of the cell and of the lat/lon ranges, which
/// go together), and then likes to gather each cell through a bitmap, or the box through
/// `reports_lat_lon`, and sort: 30–70 ms instead of well under one. Without sorts and
/// bitmap scans (for this one statement: `SET LOCAL` in its transaction) the only plan left
/// is the intended one, each cell's index read newest first and merged. That plan does not
/// depend on the bound values, so the prepared statement always uses its generic plan
/// (`plan_cache_mode`): PostgreSQL would otherwise plan the first five boxes of every
/// connection anew (planning costs about as much as running the query), and after that
/// keep doing so whenever its estimates favour a custom plan. The settings go with the
/// `BEGIN`, in one round trip: a page costs three (begin, query, commit).
fn postgres_reports_in_box(conn: &mut diesel::PgConnection, query: &MapQuery) -> Result<Vec<MapPoint>, StorageError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Row = (Uuid, String, Uuid, String, DateTime<Utc>, f64, f64, Option<Uuid>);
    AnsiTransactionManager::begin_transaction_sql(
        conn,
        "BEGIN; SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; \
         SET LOCAL plan_cache_mode = force_generic_plan",
    )?;
    let rows: Vec<Row> = match PageQuery::<PostgresRow>::new(query, true).load(conn) {
        Ok(rows) => rows,
        Err(error) => {
            // The query's error is the one to report, whatever the rollback says.
            let _ = <AnsiTransactionManager as TransactionManager<diesel::PgConnection>>::rollback_transaction(conn);
            return Err(error.into());
        }
    };
    if let Err(error) = <AnsiTransactionManager as TransactionManager<diesel::PgConnection>>::commit_transaction(conn) {
        // Leave the connection clean before reporting it.
        let _ = <AnsiTransactionManager as TransactionManager<diesel::PgConnection>>::rollback_transaction(conn);
        return Err(error.into());
    }
    Ok(rows
        .into_iter()
        .map(|(id, reference, category_id, status, created_at, lat, lon, first_photo_id)| MapPoint {
            id,
            reference,
            category_id,
            status,
            created_at,
            lat,
            lon,
            first_photo_id,
        })
        .collect())
}

/// The SQL type of a map row on SQLite (UUIDs and instants are text there).
type SqliteRow = (Text, Text, Text, Text, Text, Double, Double, Nullable<Text>);

/// A UUID read from SQLite's text, parsed from the text SQLite holds (no copy).
#[derive(Debug, Clone, Copy, FromSqlRow)]
struct TextUuid(Uuid);

impl FromSql<Text, Sqlite> for TextUuid {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> diesel::deserialize::Result<Self> {
        Ok(TextUuid(Uuid::try_parse(value.read_text())?))
    }
}

/// An instant read from SQLite's text (`2026-11-25T18:04:50.123456Z`, as the storage layer
/// writes it), parsed from the text SQLite holds.
#[derive(Debug, Clone, Copy, FromSqlRow)]
struct TextTime(DateTime<Utc>);

impl FromSql<Text, Sqlite> for TextTime {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> diesel::deserialize::Result<Self> {
        let text = value.read_text();
        match parse_stored_time(text) {
            Some(at) => Ok(TextTime(at)),
            None => Ok(TextTime(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))),
        }
    }
}

/// Parses the one fixed-width form SQLite stores instants in, `YYYY-MM-DDTHH:MM:SS.ffffffZ`
/// (`None` for anything else; the caller then tries RFC 3339 in general). About ten times
/// faster than a general RFC 3339 parse, which shows at 500 rows a page.
fn parse_stored_time(text: &str) -> Option<DateTime<Utc>> {
    let bytes: &[u8; 27] = text.as_bytes().try_into().ok()?;
    let number = |from: usize, to: usize| -> Option<u32> {
        bytes.get(from..to)?.iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    let punctuation = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (26, b'Z')];
    if !punctuation.iter().all(|&(at, expected)| bytes.get(at) == Some(&expected)) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(number(0, 4)?).ok()?, number(5, 7)?, number(8, 10)?)?;
    let time = date.and_hms_micro_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?, number(20, 26)?)?;
    Some(time.and_utc())
}

/// The SQLite form of the query. `INDEXED BY` pins each arm to its level's index: SQLite's
/// planner, with statistics, may otherwise walk the `created_at` index for the ORDER BY …
/// LIMIT and test every report against the box; and a cell expression that no longer
/// matches the index's is an error here rather than a silent full scan.
fn sqlite_reports_in_box(
    conn: &mut diesel::sqlite::SqliteConnection,
    query: &MapQuery,
) -> Result<Vec<MapPoint>, StorageError> {
    type Row = (TextUuid, String, TextUuid, String, TextTime, f64, f64, Option<TextUuid>);
    let rows: Vec<Row> = PageQuery::<SqliteRow>::new(query, false).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, category_id, status, created_at, lat, lon, first_photo_id)| MapPoint {
            id: id.0,
            reference,
            category_id: category_id.0,
            status,
            created_at: created_at.0,
            lat,
            lon,
            first_photo_id: first_photo_id.map(|photo| photo.0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> MapQuery {
        MapQuery {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
            statuses: None,
            categories: CategoryFilter::AllBut(Vec::new()),
            sensitive: Vec::new(),
            since: None,
            after: None,
            limit: 500,
        }
    }

    #[test]
    fn the_cell_expressions_are_those_of_the_migrations() {
        let sqlite = include_str!("../../migrations/sqlite/2026-11-25-000012_map_first_photo/up.sql");
        let postgres = include_str!("../../migrations/postgres/2026-11-25-000012_map_first_photo/up.sql");
        for level in &LEVELS {
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
    fn sensitive_reports_are_snapped_to_the_finest_level_of_the_grid() {
        use crate::domain::privacy::{COARSE_COLUMNS_PER_DEGREE, COARSE_ROWS_PER_DEGREE};
        let [finest, ..] = &LEVELS;
        assert_eq!(
            (finest.rows_per_degree, finest.columns_per_degree),
            (COARSE_ROWS_PER_DEGREE, COARSE_COLUMNS_PER_DEGREE)
        );
        for part in COARSE_CELL_SQLITE {
            assert!(finest.sqlite.contains(part), "{part}");
        }
        for part in COARSE_CELL_POSTGRES {
            assert!(finest.postgres.contains(part), "{part}");
        }
    }

    #[test]
    fn the_centre_of_a_finest_cell_is_where_its_sensitive_reports_are_shown() {
        for i in 0..5_000 {
            let exact = Location { lat: 50.7 + f64::from(i) * 0.000_137, lon: 5.8 + f64::from(i) * 0.000_091 };
            let (_, cells) =
                cells_of(Bounds { min_lon: exact.lon, min_lat: exact.lat, max_lon: exact.lon, max_lat: exact.lat });
            assert_eq!(cells.len(), 1);
            assert_eq!(cell_centre_of(cells[0]), coarsen(exact), "{exact:?}");
        }
    }

    #[test]
    fn stored_instants_are_parsed_as_rfc_3339_parses_them() {
        for text in ["2026-11-25T18:04:50.123456Z", "2024-02-29T00:00:00.000000Z", "1999-12-31T23:59:59.999999Z"] {
            let general = DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).ok();
            assert_eq!(parse_stored_time(text), general, "{text}");
        }
        for text in ["2026-11-25T18:04:50Z", "2026-02-30T00:00:00.000000Z", "2026-11-25 18:04:50.123456Z", "x"] {
            assert_eq!(parse_stored_time(text), None, "{text}");
        }
    }

    #[test]
    fn a_box_is_read_at_the_finest_level_with_few_cells() {
        // A neighbourhood: level 0, the 2 × 2 cells it touches.
        let (level, cells) = cells_of(Bounds::of(&query(6.0325, 50.9134, 6.0374, 50.9165)));
        assert_eq!(level.index, "reports_map_cell0");
        assert_eq!(cells, vec![56_365_046_508, 56_365_046_509, 56_366_046_508, 56_366_046_509]);
        // A town: level 1.
        let (level, cells) = cells_of(Bounds::of(&query(5.9, 50.85, 6.0, 50.95)));
        assert_eq!(level.index, "reports_map_cell1");
        assert!(cells.len() <= MAX_CELLS);
        // The largest box accepted: level 2, at most 20 cells.
        let (level, cells) = cells_of(Bounds::of(&query(5.5, 50.5, 6.1, 51.1)));
        assert_eq!(level.index, "reports_map_cell2");
        assert!(cells.len() <= 20, "{cells:?}");
    }
}

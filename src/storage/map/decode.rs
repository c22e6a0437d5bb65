//! Reading a map page on each backend and decoding its rows by position into
//! [`MapPoint`]s: UUIDs and instants parsed straight from SQLite's text, no intermediate
//! strings.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::prelude::*;
use diesel::sql_types::{Double, Nullable, Text, Timestamptz};
use diesel::sqlite::Sqlite;
use uuid::Uuid;

use super::query::PageQuery;
use super::{MapPoint, MapQuery};
use crate::storage::StorageError;

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
pub(super) fn postgres_reports_in_box(
    conn: &mut diesel::PgConnection,
    query: &MapQuery,
) -> Result<Vec<MapPoint>, StorageError> {
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
pub(super) fn sqlite_reports_in_box(
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
}

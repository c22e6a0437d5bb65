//! The database connection: one enum over SQLite and PostgreSQL (diesel `MultiConnection`),
//! the portable SQL types both backends share, and the r2d2 connection manager that picks
//! the backend from the URL scheme.
//!
//! The derive lives in its own module because it generates code that does `use super::*`.

use chrono::{DateTime, Utc};
use diesel::backend::Backend;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgConnection, PgValue};
use diesel::prelude::*;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, SqlType, Text, Timestamptz, Uuid as PgUuid};
use diesel::sqlite::{Sqlite, SqliteConnection};

/// A connection to either backend. Every query in `storage` runs on this type.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// A PostgreSQL connection (production and scale).
    Postgresql(PgConnection),
    /// An SQLite connection (the embedded default).
    Sqlite(SqliteConnection),
}

/// SQL type of a UUID column: native `uuid` on PostgreSQL, canonical lowercase `TEXT` on
/// SQLite.
#[derive(Debug, Clone, Copy, Default, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct PortableUuid;

/// SQL type of a point in time: native `timestamptz` on PostgreSQL, RFC 3339 UTC text with
/// microseconds on SQLite (fixed width, so it sorts correctly as text).
#[derive(Debug, Clone, Copy, Default, SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct PortableTimestamp;

/// A UUID as stored in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, FromSqlRow, AsExpression)]
#[diesel(sql_type = PortableUuid)]
pub struct DbUuid(pub uuid::Uuid);

/// A UTC instant as stored in the database, always truncated to whole microseconds so both
/// backends round-trip the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, FromSqlRow, AsExpression)]
#[diesel(sql_type = PortableTimestamp)]
pub struct DbTime(pub DateTime<Utc>);

/// The text form of a [`DbTime`] on SQLite.
const SQLITE_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl FromSql<PortableUuid, Sqlite> for DbUuid {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
        Ok(Self(uuid::Uuid::parse_str(&text)?))
    }
}

impl ToSql<PortableUuid, Sqlite> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<PortableUuid, Pg> for DbUuid {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self(<uuid::Uuid as FromSql<PgUuid, Pg>>::from_sql(value)?))
    }
}

impl ToSql<PortableUuid, Pg> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <uuid::Uuid as ToSql<PgUuid, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<PortableTimestamp, Sqlite> for DbTime {
    fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
        Ok(Self(DateTime::parse_from_rfc3339(&text)?.with_timezone(&Utc)))
    }
}

impl ToSql<PortableTimestamp, Sqlite> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.format(SQLITE_TIME_FORMAT).to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<PortableTimestamp, Pg> for DbTime {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Self(<DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(value)?))
    }
}

impl ToSql<PortableTimestamp, Pg> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl HasSqlType<PortableUuid> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<PortableUuid>(lookup)
    }
}

impl HasSqlType<PortableTimestamp> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<PortableTimestamp>(lookup)
    }
}

impl FromSql<PortableUuid, MultiBackend> for DbUuid {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<DbUuid, PortableUuid>()
    }
}

impl ToSql<PortableUuid, MultiBackend> for DbUuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((PortableUuid, self));
        Ok(IsNull::No)
    }
}

impl FromSql<PortableTimestamp, MultiBackend> for DbTime {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<DbTime, PortableTimestamp>()
    }
}

impl ToSql<PortableTimestamp, MultiBackend> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((PortableTimestamp, self));
        Ok(IsNull::No)
    }
}

impl DbTime {
    /// Wraps an instant, truncated to whole microseconds.
    pub fn new(at: DateTime<Utc>) -> Self {
        use chrono::SubsecRound;
        Self(at.trunc_subsecs(6))
    }
}

impl DbConnection {
    /// Whether this is an SQLite connection.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }

    /// Runs `f` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
    /// taken up front, so a transaction that reads before it writes waits for the lock
    /// (busy_timeout) instead of failing with SQLITE_BUSY. Savepoints nest inside as usual.
    pub fn write_transaction<T, E>(&mut self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        match self {
            Self::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?,
            Self::Postgresql(inner) => {
                <AnsiTransactionManager as TransactionManager<PgConnection>>::begin_transaction(inner)?
            }
        }
        match f(self) {
            Ok(value) => match <Self as Connection>::TransactionManager::commit_transaction(self) {
                Ok(()) => Ok(value),
                Err(commit_error) => {
                    // The commit failed; leave the connection clean before reporting it.
                    let _ = <Self as Connection>::TransactionManager::rollback_transaction(self);
                    Err(commit_error.into())
                }
            },
            Err(error) => {
                <Self as Connection>::TransactionManager::rollback_transaction(self)?;
                Err(error)
            }
        }
    }
}

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// How SQLite commits reach the disk (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Survives power loss: a `201` is on the disk (the default).
    Full,
    /// Survives a process crash, but the last commits may be lost on power loss.
    Normal,
}

/// An r2d2 manager that opens the backend named by the URL and prepares each connection.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: Target,
    synchronous: SqliteSynchronous,
}

#[derive(Debug, Clone)]
enum Target {
    Sqlite(String),
    Postgres(String),
}

impl ConnectionManager {
    /// A manager for `url`: `postgres://` or `postgresql://` selects PostgreSQL; `sqlite://PATH`,
    /// `sqlite:PATH` or a bare path selects an SQLite file.
    pub fn new(url: &str, synchronous: SqliteSynchronous) -> Self {
        let target = match backend_of(url) {
            BackendKind::Postgres => Target::Postgres(url.to_owned()),
            BackendKind::Sqlite => Target::Sqlite(sqlite_path(url).to_owned()),
        };
        Self { target, synchronous }
    }

    /// The backend this manager opens.
    pub fn backend(&self) -> BackendKind {
        match self.target {
            Target::Sqlite(_) => BackendKind::Sqlite,
            Target::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Opens one connection, with the per-connection settings applied.
    pub fn open(&self) -> ConnectionResult<DbConnection> {
        match &self.target {
            Target::Postgres(url) => Ok(DbConnection::Postgresql(PgConnection::establish(url)?)),
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                let synchronous = match self.synchronous {
                    SqliteSynchronous::Full => "FULL",
                    SqliteSynchronous::Normal => "NORMAL",
                };
                // secure_delete: what retention erases or deletes is overwritten with zeros in
                // the file, not left in free pages (docs/privacy.md); intake only inserts.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
                     PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;"
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// The backend a database URL selects.
pub fn backend_of(url: &str) -> BackendKind {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        BackendKind::Postgres
    } else {
        BackendKind::Sqlite
    }
}

/// The file path inside an SQLite URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

impl diesel::r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        self.open().map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

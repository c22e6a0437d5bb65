//! diesel storage: the connection pool, schema, rows and queries. The only module that
//! knows SQL; dialect differences stay in here.

/// Most rows in one multi-row `INSERT`: keeps the widest row (reports, 23 columns) under
/// SQLite's 32,766 bound parameters whatever `intake_batch_max` is.
pub(crate) const ROWS_PER_STATEMENT: usize = 1000;

/// `INSERT INTO table VALUES (…), (…), …`: many rows (a slice or `Vec`) in as few statements
/// as the parameter limits allow, on the concrete connection of either backend (row types
/// need `treat_none_as_default_value = false`, so SQLite takes the rows in one statement
/// instead of one per row). Evaluates to the number of rows inserted.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut inserted: usize = 0;
        let mut failed: Option<::diesel::result::Error> = None;
        for chunk in $rows.chunks($crate::storage::ROWS_PER_STATEMENT) {
            let done = match &mut *$conn {
                $crate::storage::DbConnection::Sqlite(c) => {
                    ::diesel::RunQueryDsl::execute(::diesel::insert_into($table).values(chunk), c)
                }
                $crate::storage::DbConnection::Postgresql(c) => {
                    ::diesel::RunQueryDsl::execute(::diesel::insert_into($table).values(chunk), c)
                }
            };
            match done {
                Ok(n) => inserted += n,
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        match failed {
            Some(error) => Err(error),
            None => Ok(inserted),
        }
    }};
}
pub(crate) use insert_rows;

pub mod access_requests;
pub mod accounts;
pub mod additions;
pub mod announcements;
pub mod areas;
pub mod audit;
pub mod bootstrap;
pub mod catalog;
pub mod categories;
pub mod connection;
pub mod dead_letters;
pub mod deliveries;
pub mod departments;
pub mod duplicates;
pub mod event_deliveries;
pub mod event_delivery_log;
pub mod event_endpoints;
pub mod figures;
pub mod followers;
pub mod generation;
pub mod history_import;
pub mod intake;
pub mod link_languages;
pub mod map;
pub mod migrate;
pub mod moderation;
pub mod open311;
pub mod open_records;
pub mod outbox;
pub mod photos;
pub mod projects;
pub mod queue;
pub mod report_alerts;
pub mod report_events;
pub mod reports;
pub mod rerouting;
pub mod retention;
pub mod rollup;
pub mod rows;
pub mod rules;
pub mod schema;
pub mod seed;
pub mod snapshot;
pub mod sso;
pub mod stats;
pub mod subscriptions;
pub mod surveys;
pub mod triage;

use std::time::Duration;

use diesel::r2d2::{Pool, PooledConnection};

pub use connection::{BackendKind, ConnectionManager, DbConnection, SqliteSynchronous};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No connection could be had from the pool in time.
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// A stored value could not be read back.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A stored column holds what its domain type refuses (malformed JSON, an unknown
    /// enum name): reading fails instead of guessing.
    #[error("stored data is invalid: {table}.{column}: {detail}")]
    CorruptValue {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong, naming the row where that helps.
        detail: String,
    },
    /// A background writer has stopped.
    #[error("the database writer is not running")]
    WriterGone,
    /// The database could not be prepared (connect, migrate, seed).
    #[error("database setup failed: {0}")]
    Setup(String),
    /// A database task on the blocking pool panicked or was cancelled.
    #[error("a database task stopped: {0}")]
    TaskStopped(String),
    /// A concurrent writer got there first; the work is worth retrying.
    #[error("a concurrent writer changed the same rows")]
    Contended,
}

impl StorageError {
    /// A [`StorageError::CorruptValue`] for `table.column`.
    pub(crate) fn corrupt(table: &'static str, column: &'static str, detail: impl Into<String>) -> Self {
        StorageError::CorruptValue { table, column, detail: detail.into() }
    }
}

/// Reads a JSON column into `T`, failing with [`StorageError::CorruptValue`] (naming the
/// row) when the text is not what `T` expects.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    row: impl std::fmt::Display,
    text: &str,
) -> Result<T, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::corrupt(table, column, format!("row {row}: {e}")))
}

/// Why a configuration change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Nothing has this id.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with what is stored (a slug taken, a department in use).
    #[error("{0}")]
    Conflict(String),
    /// Storing failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for ChangeError {
    fn from(error: diesel::result::Error) -> Self {
        ChangeError::Storage(error.into())
    }
}

/// A pool of connections to the configured database.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager>,
    manager: ConnectionManager,
    backend: BackendKind,
}

/// Settings for opening a [`Database`].
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `postgres://…`, `sqlite://PATH` or a bare file path.
    pub url: String,
    /// Most connections kept open.
    pub pool_size: u32,
    /// How long a request waits for a free connection.
    pub pool_timeout: Duration,
    /// SQLite durability.
    pub sqlite_synchronous: SqliteSynchronous,
}

impl Database {
    /// Opens the pool; for SQLite creates the file's folder first. Fails fast when the
    /// database cannot be reached.
    pub fn open(settings: &DatabaseSettings) -> Result<Self, StorageError> {
        let manager = ConnectionManager::new(&settings.url, settings.sqlite_synchronous);
        let backend = manager.backend();
        if backend == BackendKind::Sqlite {
            let path = std::path::Path::new(connection::sqlite_path(&settings.url));
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StorageError::Setup(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
        // One connection first: it reports the real reason when the database cannot be
        // reached (the pool would only time out), and on SQLite it switches the file to
        // WAL before several connections race to do it.
        manager.open().map_err(|e| StorageError::Setup(e.to_string()))?;
        let pool = Pool::builder()
            .max_size(settings.pool_size.max(2))
            .min_idle(Some(1))
            .connection_timeout(settings.pool_timeout)
            .build(manager.clone())
            .map_err(|e| StorageError::Setup(e.to_string()))?;
        Ok(Database { pool, manager, backend })
    }

    /// Which backend this is.
    pub fn backend(&self) -> BackendKind {
        self.backend
    }

    /// Takes a connection from the pool (blocking: call it off the async executor).
    pub fn conn(&self) -> Result<PooledConnection<ConnectionManager>, StorageError> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` with a pooled connection on the blocking thread pool, off the async
    /// executor: taking the connection blocks too, so it happens there as well.
    pub async fn run<T, E>(&self, work: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        let db = self.clone();
        match tokio::task::spawn_blocking(move || work(&mut *db.conn()?)).await {
            Ok(result) => result,
            Err(error) => Err(StorageError::TaskStopped(error.to_string()).into()),
        }
    }

    /// Opens a connection outside the pool, for a long-lived background writer that must
    /// not take a pooled connection away from requests.
    pub fn dedicated_connection(&self) -> Result<DbConnection, StorageError> {
        self.manager.open().map_err(|e| StorageError::Setup(format!("cannot connect to the database: {e}")))
    }

    /// The pool's use now: (open connections, idle ones, the most it opens).
    pub fn pool_use(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections, self.pool.max_size())
    }

    /// Checks that the database answers.
    pub fn ping(&self) -> Result<(), StorageError> {
        use diesel::connection::SimpleConnection;
        self.conn()?.batch_execute("SELECT 1")?;
        Ok(())
    }
}

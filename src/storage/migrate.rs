//! Embedded migrations, one tree per backend, run at start.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConnection, StorageError};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A fixed key for PostgreSQL's advisory lock, so that several processes starting at
/// once migrate and seed one after the other.
pub const SETUP_LOCK_KEY: i64 = 0x6d65_6c64_7075_6e74;

/// Brings the schema up to date. On PostgreSQL it holds a session advisory lock while it
/// runs `then` after migrating (seeding), so concurrent starts do not race.
pub fn run<T>(
    conn: &mut DbConnection,
    then: impl FnOnce(&mut DbConnection) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    let lock = !conn.is_sqlite();
    if lock {
        conn.batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK_KEY})"))?;
    }
    let result = migrate(conn).and_then(|()| then(conn));
    if lock {
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK_KEY})"))?;
    }
    result
}

fn migrate(conn: &mut DbConnection) -> Result<(), StorageError> {
    let migrations = if conn.is_sqlite() { SQLITE } else { POSTGRES };
    let applied = match conn {
        DbConnection::Sqlite(inner) => inner.run_pending_migrations(migrations).map(|v| v.len()),
        DbConnection::Postgresql(inner) => inner.run_pending_migrations(migrations).map(|v| v.len()),
    }
    .map_err(|e| StorageError::Setup(format!("migration failed: {e}")))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(())
}

//! What every request handler shares: the database, the intake writers, the in-memory
//! catalog of departments and categories, and the request limits.

use std::sync::{Arc, RwLock};

use crate::domain::category::Catalog;
use crate::storage::intake::IntakeWriter;
use crate::storage::{Database, StorageError};

/// Shared application state.
pub struct AppState {
    /// The database pool.
    pub db: Database,
    /// Group-commit intake.
    pub intake: IntakeWriter,
    /// Departments and categories.
    pub catalog: CatalogHandle,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The OpenAPI document, rendered once.
    pub openapi_json: String,
    /// Path templates of every route, to tell a 405 from a 404.
    pub route_templates: Vec<String>,
}

/// The current catalog; readers take a cheap snapshot, a reload swaps it whole.
#[derive(Clone)]
pub struct CatalogHandle {
    current: Arc<RwLock<Arc<Catalog>>>,
    db: Database,
}

impl CatalogHandle {
    /// Loads the catalog from the database (blocking).
    pub fn load(db: Database) -> Result<Self, StorageError> {
        let catalog = crate::storage::catalog::load(&mut *db.conn()?)?;
        Ok(CatalogHandle { current: Arc::new(RwLock::new(Arc::new(catalog))), db })
    }

    /// The catalog as it is now.
    pub fn snapshot(&self) -> Arc<Catalog> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads the catalog again from the database (blocking) and swaps it in.
    pub fn reload(&self) -> Result<Arc<Catalog>, StorageError> {
        let catalog = Arc::new(crate::storage::catalog::load(&mut *self.db.conn()?)?);
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::clone(&catalog),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&catalog),
        }
        Ok(catalog)
    }
}

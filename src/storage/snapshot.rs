//! The configuration every request reads (departments, categories, routing rules and the
//! area index) as one immutable snapshot, loaded from the database and swapped whole when
//! the generation counters say another process changed it.

use std::sync::{Arc, RwLock};

use crate::domain::category::Catalog;
use crate::domain::routing::Rule;
use crate::domain::spatial::AreaIndex;
use crate::storage::generation::Generation;
use crate::storage::{Database, StorageError};

/// The configuration as one consistent, immutable snapshot.
pub struct Snapshot {
    /// Departments and categories.
    pub catalog: Arc<Catalog>,
    /// Routing rules in order.
    pub rules: Arc<Vec<Rule>>,
    /// The area index (current boundary years).
    pub areas: Arc<AreaIndex>,
    /// The generation it was read at.
    pub generation: Generation,
}

/// The current configuration; readers take a cheap snapshot, a reload swaps it whole.
#[derive(Clone)]
pub struct ConfigHandle {
    current: Arc<RwLock<Arc<Snapshot>>>,
    db: Database,
}

impl ConfigHandle {
    /// Loads everything from the database (blocking).
    pub fn load(db: Database) -> Result<Self, StorageError> {
        let snapshot = read(&db, None)?;
        Ok(ConfigHandle { current: Arc::new(RwLock::new(Arc::new(snapshot))), db })
    }

    /// The configuration as it is now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// [`Self::refresh`] on the blocking thread pool, off the async executor.
    pub async fn refreshed(&self) -> Result<Arc<Snapshot>, StorageError> {
        let handle = self.clone();
        tokio::task::spawn_blocking(move || handle.refresh())
            .await
            .map_err(|e| StorageError::TaskStopped(e.to_string()))?
    }

    /// Reloads what changed since the snapshot was read (blocking). Cheap when nothing did:
    /// one query of the generation counters.
    pub fn refresh(&self) -> Result<Arc<Snapshot>, StorageError> {
        let previous = self.snapshot();
        let generation = crate::storage::generation::current(&mut *self.db.conn()?)?;
        if generation == previous.generation {
            return Ok(previous);
        }
        let fresh = Arc::new(read(&self.db, Some(&previous))?);
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::clone(&fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&fresh),
        }
        Ok(fresh)
    }
}

/// Reads a snapshot, reusing the parts of `previous` whose generation is unchanged.
fn read(db: &Database, previous: Option<&Snapshot>) -> Result<Snapshot, StorageError> {
    let mut conn = db.conn()?;
    // The generation is read first: a change made while loading is caught next time.
    let generation = crate::storage::generation::current(&mut conn)?;
    let (catalog, rules) = match previous {
        Some(p) if p.generation.settings == generation.settings => (Arc::clone(&p.catalog), Arc::clone(&p.rules)),
        _ => {
            let catalog = crate::storage::catalog::load(&mut conn)?;
            let rules = crate::storage::rules::load(&mut conn)?.into_iter().map(|stored| stored.rule).collect();
            (Arc::new(catalog), Arc::new(rules))
        }
    };
    let areas = match previous {
        Some(p) if p.generation.areas == generation.areas => Arc::clone(&p.areas),
        _ => {
            let started = std::time::Instant::now();
            let index = AreaIndex::new(crate::storage::areas::load_all(&mut conn)?);
            tracing::info!(areas = index.len(), millis = started.elapsed().as_millis() as u64, "area index built");
            Arc::new(index)
        }
    };
    Ok(Snapshot { catalog, rules, areas, generation })
}

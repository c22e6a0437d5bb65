//! Recent map answers of this process, by ETag, and the coalesced read of the map
//! generation that every ETag names.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::OnceCell;

use crate::api::error::ApiError;
use crate::storage::Database;

/// Most bytes of answers the cache keeps; beyond, it starts afresh.
const CACHE_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Recent map answers of this process, by ETag (which names the generations they were
/// made at, so an entry is never stale: a change makes new ETags). Concurrent requests for
/// an answer not yet made wait for the one request that makes it (no stampede of identical
/// queries when a popular box changes).
///
/// It also coalesces reads of the map generation: a request needs a value read after it
/// arrived; while one read is in flight, the requests arriving meanwhile wait for the next
/// read and share it, so a process sends at most one such read at a time however many
/// clients poll, and every answer still reflects every change committed before its request.
#[derive(Default)]
pub struct MapCache {
    inner: Mutex<CacheInner>,
    capacity: usize,
    generation_gate: tokio::sync::Mutex<()>,
    last_generation: Mutex<Option<(std::time::Instant, i64)>>,
}

#[derive(Default)]
struct CacheInner {
    cells: HashMap<String, Arc<OnceCell<Bytes>>>,
    bytes: usize,
}

impl MapCache {
    /// A cache of at most `capacity` answers (0: none kept, but concurrent identical
    /// requests still share one query).
    pub fn new(capacity: usize) -> Self {
        MapCache { capacity, ..MapCache::default() }
    }

    /// The map generation as read after `arrival` (see the type's documentation).
    pub(super) async fn generation(&self, db: &Database, arrival: std::time::Instant) -> Result<i64, ApiError> {
        let _turn = self.generation_gate.lock().await;
        if let Ok(last) = self.last_generation.lock()
            && let Some((started, value)) = *last
            && started >= arrival
        {
            return Ok(value);
        }
        let started = std::time::Instant::now();
        let value = db.run(crate::storage::map::generation).await?;
        if let Ok(mut last) = self.last_generation.lock() {
            *last = Some((started, value));
        }
        Ok(value)
    }

    /// The cell for an answer: filled, being filled, or new.
    pub(super) fn cell(&self, etag: &str) -> Arc<OnceCell<Bytes>> {
        let Ok(mut inner) = self.inner.lock() else { return Arc::new(OnceCell::new()) };
        if let Some(cell) = inner.cells.get(etag) {
            return Arc::clone(cell);
        }
        if inner.cells.len() >= self.capacity.max(1) || inner.bytes >= CACHE_MAX_BYTES {
            // Entries of old generations are useless anyway; start afresh.
            inner.cells.clear();
            inner.bytes = 0;
        }
        let cell = Arc::new(OnceCell::new());
        inner.cells.insert(etag.to_owned(), Arc::clone(&cell));
        cell
    }

    pub(super) fn account(&self, bytes: usize) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.bytes += bytes;
        }
    }
}

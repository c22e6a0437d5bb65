//! Photos in a folder on the local file system (the default; for one process, or several
//! sharing one file system).

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::{PhotoStore, PhotoStoreError, StoreFuture};

/// A folder holding photos as files named by their keys.
#[derive(Debug, Clone)]
pub struct LocalPhotoStore {
    root: PathBuf,
}

impl LocalPhotoStore {
    /// A store in `root` (created with the first photo).
    pub fn open(root: impl Into<PathBuf>) -> Self {
        LocalPhotoStore { root: root.into() }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, PhotoStoreError> {
        // Keys are made of ids; anything that could leave the folder is a bug.
        if key.is_empty() || key.split('/').any(|part| part == ".." || part == ".") || key.starts_with('/') {
            return Err(PhotoStoreError(format!("invalid key '{key}'")));
        }
        Ok(self.root.join(key))
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, PhotoStoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| PhotoStoreError(e.to_string()))?
        .map_err(|e| PhotoStoreError(e.to_string()))
}

impl PhotoStore for LocalPhotoStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            blocking(move || {
                let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
                std::fs::create_dir_all(&folder)?;
                // Written under a temporary name, synced, then renamed: a reader never sees
                // half a file, and a crash leaves at most a temporary file.
                let temporary = folder.join(format!(".upload-{}", uuid::Uuid::now_v7()));
                let written = (|| {
                    let mut file = std::fs::File::create(&temporary)?;
                    file.write_all(&bytes)?;
                    file.sync_all()?;
                    std::fs::rename(&temporary, &path)
                })();
                if written.is_err() {
                    let _ = std::fs::remove_file(&temporary);
                }
                written
            })
            .await
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let path = self.path(key)?;
            blocking(move || match std::fs::read(&path) {
                Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            })
            .await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            blocking(move || match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            })
            .await
        })
    }

    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let path = self.path(prefix.trim_end_matches('/'))?;
            blocking(move || {
                let entries = match std::fs::read_dir(&path) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                    Err(e) => return Err(e),
                };
                let count = entries.filter_map(Result::ok).filter(|e| e.path().is_file()).count();
                std::fs::remove_dir_all(&path)?;
                Ok(u64::try_from(count).unwrap_or(u64::MAX))
            })
            .await
        })
    }
}

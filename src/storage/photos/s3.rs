//! Photos in S3-compatible object storage (AWS S3, MinIO, Ceph, Garage, ...), for
//! deployments with several processes on several machines.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore, PutOptions, PutPayload};

use super::{PhotoStore, PhotoStoreError, StoreFuture};

/// How to reach the bucket.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// Bucket name.
    pub bucket: String,
    /// Endpoint URL (empty: AWS for the region).
    pub endpoint: String,
    pub region: String,
    /// Access key id (empty: taken from the environment as the AWS SDKs do).
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Path-style requests (`endpoint/bucket/key`), as MinIO and most self-hosted servers want.
    pub path_style: bool,
    /// A key prefix inside the bucket (e.g. `meldpunt/`), may be empty.
    pub prefix: String,
}

/// A bucket holding photos as objects named by their keys.
#[derive(Debug, Clone)]
pub struct S3PhotoStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl S3PhotoStore {
    /// Connects (lazily: nothing is sent until the first request).
    pub fn open(settings: &S3Settings) -> Result<Self, PhotoStoreError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_virtual_hosted_style_request(!settings.path_style);
        if !settings.endpoint.is_empty() {
            builder =
                builder.with_endpoint(&settings.endpoint).with_allow_http(settings.endpoint.starts_with("http://"));
        }
        if !settings.access_key_id.is_empty() {
            builder =
                builder.with_access_key_id(&settings.access_key_id).with_secret_access_key(&settings.secret_access_key);
        }
        let store = builder.build().map_err(|e| PhotoStoreError(e.to_string()))?;
        let prefix = settings.prefix.trim_matches('/').to_owned();
        Ok(S3PhotoStore { store: Arc::new(store), prefix })
    }

    fn path(&self, key: &str) -> Path {
        if self.prefix.is_empty() { Path::from(key) } else { Path::from(format!("{}/{key}", self.prefix)) }
    }
}

fn failed(error: object_store::Error) -> PhotoStoreError {
    PhotoStoreError(error.to_string())
}

impl PhotoStore for S3PhotoStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Bytes) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.store
                .put_opts(&self.path(key), PutPayload::from(bytes), PutOptions::default())
                .await
                .map_err(failed)?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            match self.store.get_opts(&self.path(key), GetOptions::default()).await {
                Ok(result) => Ok(Some(result.bytes().await.map_err(failed)?)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let location = futures_util::stream::iter([Ok(self.path(key))]).boxed();
            let mut deleted = self.store.delete_stream(location);
            while let Some(result) = deleted.next().await {
                match result {
                    Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(failed(e)),
                }
            }
            Ok(())
        })
    }

    fn delete_prefix<'a>(&'a self, prefix: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let folder = self.path(prefix.trim_end_matches('/'));
            let locations = self.store.list(Some(&folder)).map_ok(|meta| meta.location).boxed();
            let mut deleted = self.store.delete_stream(locations);
            let mut count = 0;
            while let Some(result) = deleted.next().await {
                match result {
                    Ok(_) => count += 1,
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(failed(e)),
                }
            }
            Ok(count)
        })
    }
}

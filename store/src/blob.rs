//! Document bytes: content-addressed by sha256, encrypted at rest, idempotent put.
//!
//! Blobs are written before the rows that reference them, so a crash leaves at worst an
//! unreferenced blob (harmless, collectable), never a row pointing at missing bytes.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};

use crate::crypto::Keys;
use crate::error::StoreError;

/// Where document bytes live.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlobLocation {
    /// A folder on local disk (the embedded default).
    Local { path: std::path::PathBuf },
    /// S3-compatible object storage; credentials come from the usual `AWS_*` environment.
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: Option<String>,
    },
}

/// A stored blob's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub sha256: String,
    pub size: u64,
}

pub(crate) struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    keys: Arc<Keys>,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl BlobStore {
    pub(crate) fn open(location: &BlobLocation, keys: Arc<Keys>) -> Result<Self, StoreError> {
        let inner: Arc<dyn ObjectStore> = match location {
            BlobLocation::Local { path } => Arc::new(local(path)?),
            BlobLocation::S3 {
                bucket,
                endpoint,
                region,
            } => s3(bucket, endpoint.as_deref(), region.as_deref())?,
        };
        Ok(BlobStore { inner, keys })
    }

    fn object_path(&self, sha256: &str) -> ObjectPath {
        let location = self.keys.blob_location(sha256);
        ObjectPath::from(format!("blobs/{}/{}", &location[..2], location))
    }

    /// Stores `bytes` unless a blob with the same content is already there.
    pub(crate) async fn put(&self, bytes: &[u8]) -> Result<BlobRef, StoreError> {
        let sha256 = sha256_hex(bytes);
        let path = self.object_path(&sha256);
        let blob = BlobRef {
            sha256,
            size: bytes.len() as u64,
        };
        if self.inner.head(&path).await.is_ok() {
            return Ok(blob);
        }
        let sealed = self.keys.seal_blob(bytes, blob.sha256.as_bytes());
        let create = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .inner
            .put_opts(&path, PutPayload::from(sealed), create)
            .await
        {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(blob),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads and decrypts a blob, checking its content still matches its hash.
    pub(crate) async fn get(&self, sha256: &str) -> Result<Bytes, StoreError> {
        let path = self.object_path(sha256);
        let sealed = match self.inner.get(&path).await {
            Ok(got) => got.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::NotFound {
                    what: "document bytes",
                });
            }
            Err(e) => return Err(e.into()),
        };
        let plain = self
            .keys
            .open_blob(&sealed, sha256.as_bytes())
            .map_err(|_| StoreError::BlobCorrupt {
                sha256: sha256.to_string(),
            })?;
        if sha256_hex(&plain) != sha256 {
            return Err(StoreError::BlobCorrupt {
                sha256: sha256.to_string(),
            });
        }
        Ok(Bytes::from(plain))
    }
}

fn local(path: &Path) -> Result<LocalFileSystem, StoreError> {
    std::fs::create_dir_all(path).map_err(|e| {
        StoreError::Blob(object_store::Error::Generic {
            store: "local",
            source: Box::new(e),
        })
    })?;
    Ok(LocalFileSystem::new_with_prefix(path)?.with_automatic_cleanup(true))
}

#[cfg(feature = "s3")]
fn s3(
    bucket: &str,
    endpoint: Option<&str>,
    region: Option<&str>,
) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(endpoint) = endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = region {
        builder = builder.with_region(region);
    }
    Ok(Arc::new(builder.build()?))
}

#[cfg(not(feature = "s3"))]
fn s3(
    _bucket: &str,
    _endpoint: Option<&str>,
    _region: Option<&str>,
) -> Result<Arc<dyn ObjectStore>, StoreError> {
    Err(StoreError::NotBuiltIn {
        what: "S3-compatible storage",
        feature: "s3",
    })
}

//! Attachments' bytes: object storage behind one interface, the local file system (the
//! default, under `DATA_DIR/attachments`) or any S3-compatible store, both through the
//! `object_store` crate.
//!
//! Content-addressed: a file is stored once under `blobs/<sha256>`, however many uploads name
//! it. An upload streams into `tmp/<uuid>` while it is hashed (so nothing holds a whole file in
//! memory: at most one multipart part, 5 MiB, for S3), then is moved to its blob, or dropped
//! when the blob exists already. Temporary objects of uploads that never finished (a replica
//! killed mid-upload) are removed by [`Storage::sweep_temporary`]; the rules that keep a blob
//! from being deleted while an upload of the same content is being recorded are in
//! `sql/functions/file_deletions_take.sql` and `api::attachments`.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use tokio::io::AsyncWriteExt;

use crate::config::{StorageBackend, StorageConfig};

pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// How much a writer buffers before it starts a multipart upload (its part size).
    part_size: usize,
    /// Where the bytes are, for logs.
    pub describe: String,
    /// The directory of a local store (whose partial uploads `object_store` does not list).
    local: Option<PathBuf>,
}

impl Storage {
    /// The store `config` names; a local directory is created if missing.
    pub fn open(config: &StorageConfig) -> anyhow::Result<Self> {
        match &config.backend {
            StorageBackend::Local(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("STORAGE_DIR: cannot create {}", dir.display()))?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .with_context(|| format!("STORAGE_DIR: cannot use {}", dir.display()))?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(store),
                    part_size: 256 * 1024,
                    describe: dir.display().to_string(),
                    local: Some(dir.clone()),
                })
            }
            StorageBackend::S3(s3) => {
                let mut builder =
                    object_store::aws::AmazonS3Builder::new().with_bucket_name(&s3.bucket).with_region(&s3.region);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
                }
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    let secret = String::from_utf8_lossy(secret.expose()).into_owned();
                    builder = builder.with_access_key_id(id).with_secret_access_key(secret);
                }
                let store = builder.build().context("S3_BUCKET: cannot configure the S3 store")?;
                // S3 takes multipart parts of at least 5 MiB.
                Ok(Self {
                    store: Arc::new(store),
                    part_size: 5 * 1024 * 1024,
                    describe: format!("s3://{}", s3.bucket),
                    local: None,
                })
            }
        }
    }

    /// Where the bytes with this SHA-256 (lowercase hex) are kept.
    pub fn blob(sha256: &str) -> Path {
        Path::from(format!("blobs/{}/{sha256}", &sha256[..2.min(sha256.len())]))
    }

    /// A new temporary object to stream an upload into.
    pub fn upload(&self) -> Upload {
        let path = Path::from(format!("tmp/{}", uuid::Uuid::new_v4()));
        let writer = BufWriter::with_capacity(self.store.clone(), path.clone(), self.part_size);
        Upload { writer, path, store: self.store.clone() }
    }

    /// Makes the finished upload `temporary` the blob `sha256`: moved there, or dropped when
    /// the blob exists already (the same content, uploaded before).
    pub async fn keep(&self, temporary: &Path, sha256: &str) -> anyhow::Result<()> {
        let blob = Self::blob(sha256);
        match self.store.head(&blob).await {
            Ok(_) => {
                self.store.delete(temporary).await.context("delete a duplicate upload")?;
            }
            Err(object_store::Error::NotFound { .. }) => {
                self.store.rename(temporary, &blob).await.context("move an upload to its blob")?;
            }
            Err(e) => return Err(anyhow::Error::new(e).context("look up a blob")),
        }
        Ok(())
    }

    /// The blob's bytes, or the `range` of them.
    pub async fn read(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> anyhow::Result<BoxStream<'static, Result<Bytes, object_store::Error>>> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let result = self.store.get_opts(&Self::blob(sha256), options).await.context("read a blob")?;
        Ok(result.into_stream())
    }

    /// Whether the blob is there (for checks: every attached file has its bytes).
    pub async fn has(&self, sha256: &str) -> anyhow::Result<bool> {
        match self.store.head(&Self::blob(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete(&self, sha256: &str) -> anyhow::Result<()> {
        match self.store.delete(&Self::blob(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the small object `key` whole (replacing it): records kept beside the files, such
    /// as the erasure ledger (`governance::ledger`), never under `blobs/` or `tmp/`.
    pub async fn put_record(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.store.put(&Path::from(key), bytes.into()).await.with_context(|| format!("write {key}"))?;
        Ok(())
    }

    /// The bytes of the small object `key`.
    pub async fn get_record(&self, key: &str) -> anyhow::Result<Bytes> {
        let object = self.store.get(&Path::from(key)).await.with_context(|| format!("read {key}"))?;
        Ok(object.bytes().await?)
    }

    /// The keys of the objects under `prefix` (a folder, without its slash).
    pub async fn list_records(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut listing = self.store.list(Some(&Path::from(prefix)));
        let mut keys = Vec::new();
        while let Some(object) = listing.next().await {
            keys.push(object.with_context(|| format!("list {prefix}"))?.location.to_string());
        }
        Ok(keys)
    }

    /// Removes a temporary object (an upload given up after it was written).
    pub async fn delete_temporary(&self, temporary: &Path) -> anyhow::Result<()> {
        match self.store.delete(temporary).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes temporary objects older than `age`: uploads that never finished. Returns how
    /// many. On the local file system that includes the parts of an unfinished multipart write
    /// (`tmp/<uuid>#<n>`, which `object_store` does not list); on S3 an unfinished multipart
    /// upload is the bucket's to expire (README: a lifecycle rule).
    pub async fn sweep_temporary(&self, age: Duration) -> anyhow::Result<usize> {
        let cutoff = std::time::SystemTime::now().checked_sub(age).unwrap_or(std::time::UNIX_EPOCH);
        if let Some(root) = &self.local {
            let dir = root.join("tmp");
            return tokio::task::spawn_blocking(move || sweep_directory(&dir, cutoff)).await?;
        }
        let cutoff = time::OffsetDateTime::from(cutoff).unix_timestamp();
        let mut listing = self.store.list(Some(&Path::from("tmp")));
        let mut removed = 0;
        while let Some(object) = listing.next().await {
            let object = object?;
            if object.last_modified.timestamp() <= cutoff {
                match self.store.delete(&object.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => removed += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(removed)
    }
}

/// Deletes the files of `dir` last modified before `cutoff`.
fn sweep_directory(dir: &std::path::Path, cutoff: std::time::SystemTime) -> anyhow::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("list {}", dir.display()))),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|modified| modified <= cutoff);
        if old && entry.file_type().is_ok_and(|t| t.is_file()) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// An upload being written to its temporary object.
pub struct Upload {
    writer: BufWriter,
    pub path: Path,
    store: Arc<dyn ObjectStore>,
}

impl Upload {
    pub async fn write(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
        self.writer.write_all(chunk).await.context("write an upload")
    }

    /// Completes the temporary object.
    pub async fn finish(mut self) -> anyhow::Result<Path> {
        self.writer.shutdown().await.context("complete an upload")?;
        Ok(self.path)
    }

    /// Gives up: nothing of it stays.
    pub async fn abort(mut self) {
        let _ = self.writer.abort().await;
        let _ = self.store.delete(&self.path).await;
    }
}

//! Where attachments' bytes live (a directory, or an S3-compatible bucket) and the limits on
//! uploading them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Secret, Var, defaults};

const STORAGE_DIR: Var = Var {
    name: "STORAGE_DIR",
    default: Fallback::Computed("`DATA_DIR/attachments`"),
    meaning: "where attachments' bytes are kept on the local file system (every replica must see the same directory: a shared volume), unless `S3_BUCKET` is set",
};
const S3_BUCKET: Var = Var {
    name: "S3_BUCKET",
    default: Fallback::Unset("unset"),
    meaning: "keep attachments in this bucket of an S3-compatible store instead (AWS, MinIO, Ceph, …); give it a lifecycle rule that aborts incomplete multipart uploads after a day (an upload cut off mid-way leaves one)",
};
const S3_ENDPOINT: Var = Var {
    name: "S3_ENDPOINT",
    default: Fallback::Unset("AWS"),
    meaning: "the store's URL for anything but AWS, e.g. `http://minio:9000` (`http://` is allowed)",
};
const S3_REGION: Var = Var { name: "S3_REGION", default: Fallback::Value("us-east-1"), meaning: "the bucket's region" };
const S3_ACCESS_KEY_ID: Var = Var {
    name: "S3_ACCESS_KEY_ID",
    default: Fallback::Unset("the machine's credentials"),
    meaning: "a key pair with `S3_SECRET_ACCESS_KEY`: both or neither",
};
const S3_SECRET_ACCESS_KEY: Var = Var {
    name: "S3_SECRET_ACCESS_KEY",
    default: Fallback::Unset("the machine's credentials"),
    meaning: "the secret of `S3_ACCESS_KEY_ID`",
};
const ATTACHMENT_MAX_BYTES: Var = Var {
    name: "ATTACHMENT_MAX_BYTES",
    default: Fallback::Value("26214400"),
    meaning: "the largest file, 25 MiB (413 above it)",
};
const ATTACHMENT_DAILY_BYTES: Var = Var {
    name: "ATTACHMENT_DAILY_BYTES",
    default: Fallback::Value("524288000"),
    meaning: "what one student or teacher may upload in 24 hours, 500 MiB (429 past it; an upload reserves its length before it streams, on every replica)",
};
const ATTACHMENT_GUEST_DAILY_BYTES: Var = Var {
    name: "ATTACHMENT_GUEST_DAILY_BYTES",
    default: Fallback::Value("5242880"),
    meaning: "what one guest (a visitor through an inquiry link) may upload in 24 hours, 5 MiB: a few photos or a document (429 past it)",
};
const ATTACHMENT_LINK_DAILY_BYTES: Var = Var {
    name: "ATTACHMENT_LINK_DAILY_BYTES",
    default: Fallback::Value("52428800"),
    meaning: "what all the guests of one inquiry link may upload together in 24 hours, 50 MiB: a link hands out a new guest to anyone who asks, so this, not the guest's own, bounds what a link can store (429 past it)",
};
const ATTACHMENT_HOST_DAILY_BYTES: Var = Var {
    name: "ATTACHMENT_HOST_DAILY_BYTES",
    default: Fallback::Value("104857600"),
    meaning: "what all the guests of one teacher's inquiry links may upload together in 24 hours, 100 MiB, however many links the teacher has (429 past it); the teacher's own uploads count against `ATTACHMENT_DAILY_BYTES`",
};
const ATTACHMENT_ORPHAN_SECS: Var = Var {
    name: "ATTACHMENT_ORPHAN_SECS",
    default: Fallback::Value("86400"),
    meaning: "uploads no message attached within this are deleted (their bytes too, unless another upload has the same content); at least 60",
};
const ATTACHMENT_GUEST_ORPHAN_SECS: Var = Var {
    name: "ATTACHMENT_GUEST_ORPHAN_SECS",
    default: Fallback::Value("3600"),
    meaning: "a guest's uploads no message attached within this are deleted; at least 60, at most `ATTACHMENT_ORPHAN_SECS` and at most 43200 (12 hours), so a guest's unattached file is always deleted while it still counts against the allowances (24 hours)",
};

pub(super) const VARS: &[Var] = &[
    STORAGE_DIR,
    S3_BUCKET,
    S3_ENDPOINT,
    S3_REGION,
    S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY,
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_DAILY_BYTES,
    ATTACHMENT_GUEST_DAILY_BYTES,
    ATTACHMENT_LINK_DAILY_BYTES,
    ATTACHMENT_HOST_DAILY_BYTES,
    ATTACHMENT_ORPHAN_SECS,
    ATTACHMENT_GUEST_ORPHAN_SECS,
];

#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub backend: StorageBackend,
    /// Largest file, in bytes.
    pub max_file_bytes: u64,
    /// What one user (not a guest) may upload in 24 hours, in bytes.
    pub daily_bytes_per_user: u64,
    /// What one guest may upload in 24 hours: small, since anyone with an inquiry link can be
    /// a new guest.
    pub daily_bytes_per_guest: u64,
    /// What the guests of one inquiry link may upload together in 24 hours.
    pub daily_bytes_per_link: u64,
    /// What the guests of all of one teacher's inquiry links may upload together in 24 hours.
    pub daily_bytes_per_host: u64,
    /// Uploads that no message attached within this are deleted.
    pub orphan_after: Duration,
    /// A guest's uploads that no message attached within this are deleted: well within the
    /// 24 hours they count against the allowances, so the sweep keeps up with them.
    pub guest_orphan_after: Duration,
}

#[derive(Debug, Clone)]
pub enum StorageBackend {
    /// A directory (`STORAGE_DIR`, default `DATA_DIR/attachments`).
    Local(PathBuf),
    /// An S3-compatible object store (`S3_BUCKET` set).
    S3(S3Config),
}

#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// For a store other than AWS (MinIO, Ceph, moto…); `http://` is allowed.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
}

impl StorageConfig {
    /// The default limits, storing in `dir`.
    pub fn local(dir: PathBuf) -> Self {
        Self { backend: StorageBackend::Local(dir), ..defaults(|env| Self::from_env(env, Path::new(""))) }
    }

    pub(super) fn from_env(env: &Env, data_dir: &Path) -> Result<Self, ConfigError> {
        let backend = match env.get(&S3_BUCKET) {
            Some(bucket) => {
                if env.is_set(&STORAGE_DIR) {
                    return Err(ConfigError::new(
                        STORAGE_DIR.name,
                        "is set together with S3_BUCKET: choose one storage",
                    ));
                }
                StorageBackend::S3(s3(env, bucket)?)
            }
            None => {
                StorageBackend::Local(env.get(&STORAGE_DIR).map_or_else(|| data_dir.join("attachments"), PathBuf::from))
            }
        };
        let storage = Self {
            backend,
            max_file_bytes: env.parse(&ATTACHMENT_MAX_BYTES, "a number of bytes")?,
            daily_bytes_per_user: daily(env, &ATTACHMENT_DAILY_BYTES)?,
            daily_bytes_per_guest: daily(env, &ATTACHMENT_GUEST_DAILY_BYTES)?,
            daily_bytes_per_link: daily(env, &ATTACHMENT_LINK_DAILY_BYTES)?,
            daily_bytes_per_host: daily(env, &ATTACHMENT_HOST_DAILY_BYTES)?,
            orphan_after: env.secs(&ATTACHMENT_ORPHAN_SECS)?,
            guest_orphan_after: env.secs(&ATTACHMENT_GUEST_ORPHAN_SECS)?,
        };
        if storage.max_file_bytes == 0 {
            return Err(ConfigError::new(ATTACHMENT_MAX_BYTES.name, "must be at least 1"));
        }
        if storage.orphan_after < Duration::from_secs(60) {
            return Err(ConfigError::new(ATTACHMENT_ORPHAN_SECS.name, "must be at least 60 seconds"));
        }
        let guests = storage.guest_orphan_after;
        if guests < Duration::from_secs(60) || guests > storage.orphan_after || guests > MAX_GUEST_ORPHAN {
            return Err(ConfigError::new(
                ATTACHMENT_GUEST_ORPHAN_SECS.name,
                format!(
                    "must be at least 60 seconds and at most ATTACHMENT_ORPHAN_SECS ({}) and 43200 (12 hours), not {}",
                    storage.orphan_after.as_secs(),
                    guests.as_secs()
                ),
            ));
        }
        Ok(storage)
    }
}

/// The longest a guest's unattached upload may wait for the sweep: with the sweep's period (a
/// quarter of it at most) it is gone well before its bytes stop counting (24 hours).
const MAX_GUEST_ORPHAN: Duration = Duration::from_secs(12 * 3600);

/// A daily allowance in bytes. The database keeps the counts in `bigint`, so at most
/// `i64::MAX`.
fn daily(env: &Env, var: &Var) -> Result<u64, ConfigError> {
    let bytes: u64 = env.parse(var, "a number of bytes")?;
    if bytes > i64::MAX as u64 {
        return Err(ConfigError::new(var.name, format!("{bytes} is more than {} bytes", i64::MAX)));
    }
    Ok(bytes)
}

fn s3(env: &Env, bucket: &str) -> Result<S3Config, ConfigError> {
    let endpoint = env.get(&S3_ENDPOINT).map(str::to_owned);
    if let Some(e) = &endpoint
        && !(e.starts_with("http://") || e.starts_with("https://"))
    {
        return Err(ConfigError::new(S3_ENDPOINT.name, format!("{e:?} is not an http:// or https:// URL")));
    }
    let access_key_id = env.get(&S3_ACCESS_KEY_ID).map(str::to_owned);
    let secret_access_key = env.get(&S3_SECRET_ACCESS_KEY).map(|s| Secret::new(s.as_bytes()));
    if access_key_id.is_some() != secret_access_key.is_some() {
        return Err(ConfigError::new(
            if access_key_id.is_some() { S3_SECRET_ACCESS_KEY.name } else { S3_ACCESS_KEY_ID.name },
            "must be set together with the other S3 key (or neither, for the machine's own credentials)",
        ));
    }
    Ok(S3Config {
        bucket: bucket.to_owned(),
        endpoint,
        region: env.parse(&S3_REGION, "a region")?,
        access_key_id,
        secret_access_key,
    })
}

/// Where attachments go, by this process's environment (`STORAGE_DIR` or `S3_BUCKET`, else
/// `DATA_DIR/attachments`): for commands that read the storage without serving, such as the
/// restore drill reading the erasure ledger.
pub fn storage_from_env(data_dir: &Path) -> Result<StorageConfig, ConfigError> {
    StorageConfig::from_env(&Env::process()?, data_dir)
}

/// Whether this process's environment says where attachments go (`STORAGE_DIR` or
/// `S3_BUCKET`): `tutorchat-dev topology` gives its replicas a shared directory otherwise.
pub fn storage_in_env() -> bool {
    Env::process().is_ok_and(|env| env.is_set(&STORAGE_DIR) || env.is_set(&S3_BUCKET))
}

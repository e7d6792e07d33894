//! Upload allowances, kept in PostgreSQL so that every replica counts the same bytes
//! (`sql/functions/upload_reserve.sql`, `upload_settle.sql`).
//!
//! An upload reserves its length (the request's `Content-Length`, at most the file limit, at
//! most what is left) before a byte of it is streamed, so parallel uploads on any replicas
//! cannot together pass an allowance: each sees the others' reservations. The reservation
//! becomes the stored size in the transaction that records the upload, or is given back when
//! the upload fails, is refused or is cut off (a [`Claim`] dropped unsettled releases itself);
//! one left by a replica that died expires after [`RESERVED_FOR`].
//!
//! Which allowances: a user's own (`ATTACHMENT_DAILY_BYTES`); a guest's own, much smaller
//! (`ATTACHMENT_GUEST_DAILY_BYTES`), and, because an inquiry link hands out a new guest to
//! anyone, also their link's (`ATTACHMENT_LINK_DAILY_BYTES`, shared by all its guests) and
//! that link's teacher's (`ATTACHMENT_HOST_DAILY_BYTES`, shared by the guests of all the
//! teacher's links). A stored upload counts for 24 hours, even if it is swept sooner.

use std::time::Duration;

use deadpool_postgres::{Pool, Transaction};

use crate::config::StorageConfig;
use crate::error::Code;
use crate::{AppError, Result};

/// How long a reservation counts while its upload streams. An upload still streaming after it
/// goes on, and is checked against the allowances again when it is recorded; a replica that
/// died mid-upload leaves a reservation that frees itself after this.
pub const RESERVED_FOR: Duration = Duration::from_secs(15 * 60);

/// One of the allowances an upload counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// A student's or teacher's own (admins upload nothing).
    User,
    /// A guest's own.
    Guest,
    /// Shared by the guests of one inquiry link.
    Link,
    /// Shared by the guests of one teacher's inquiry links.
    Host,
}

impl Allowance {
    /// As `upload_reserve()` names it.
    fn from_sql(name: &str) -> Option<Self> {
        match name {
            "user" => Some(Self::User),
            "guest" => Some(Self::Guest),
            "link" => Some(Self::Link),
            "host" => Some(Self::Host),
            _ => None,
        }
    }

    /// Whose allowance it is, for an error message.
    fn describe(self) -> &'static str {
        match self {
            Self::User => "your upload allowance",
            Self::Guest => "your upload allowance as a guest",
            Self::Link => "the upload allowance that the visitors of this inquiry link share",
            Self::Host => "the upload allowance that the visitors of this teacher's inquiry links share",
        }
    }

    /// The 429 for an upload that finds nothing left of this allowance.
    fn used_up(self, daily: u64) -> AppError {
        let mut message = format!("{} is used up ({daily} bytes in 24 hours); try again later", self.describe());
        if let Some(first) = message.get(..1).map(str::to_uppercase) {
            message.replace_range(..1, &first);
        }
        too_many(message)
    }
}

fn too_many(message: String) -> AppError {
    AppError::TooManyRequests { message, retry_after: Duration::from_secs(3600) }.with_code(Code::UploadAllowanceUsedUp)
}

/// The daily bytes `upload_reserve()` and `upload_settle()` are given: the settings of this
/// replica (the database keeps the counts).
fn limits(config: &StorageConfig) -> [i64; 4] {
    [
        config.daily_bytes_per_user,
        config.daily_bytes_per_guest,
        config.daily_bytes_per_link,
        config.daily_bytes_per_host,
    ]
    .map(|bytes| i64::try_from(bytes).unwrap_or(i64::MAX))
}

/// An upload's reservation: released when dropped unless it was stored.
pub struct Claim {
    id: i64,
    /// The most the file may have.
    pub bytes: u64,
    /// The allowance that cut the reservation below what was asked, and its daily bytes.
    limited_by: Option<(Allowance, u64)>,
    db: Pool,
    open: bool,
}

/// Reserves up to `bytes` for an upload by `uploader` to `chat_id`: 409 if the chat is closed,
/// 429 if an allowance has nothing left.
pub async fn reserve(db: &Pool, config: &StorageConfig, uploader: i64, chat_id: i64, bytes: u64) -> Result<Claim> {
    let [user, guest, link, host] = limits(config);
    let asked = i64::try_from(bytes.max(1)).unwrap_or(i64::MAX);
    let row = db
        .get()
        .await?
        .query_one(
            "SELECT claim_id, reserved, limited_by, limit_bytes
             FROM upload_reserve($1, $2, $3, make_interval(secs => $4), $5, $6, $7, $8)",
            &[&uploader, &chat_id, &asked, &RESERVED_FOR.as_secs_f64(), &user, &guest, &link, &host],
        )
        .await?;
    let limited_by: Option<String> = row.get("limited_by");
    let limit = u64::try_from(row.get::<_, Option<i64>>("limit_bytes").unwrap_or(0)).unwrap_or(0);
    let limited_by = match limited_by.as_deref() {
        None => None,
        Some("closed") => {
            return Err(
                AppError::Conflict(format!("chat {chat_id} is closed: it is read-only")).with_code(Code::ChatClosed)
            );
        }
        Some(name) => Some(Allowance::from_sql(name).ok_or_else(|| anyhow::anyhow!("upload_reserve: {name:?}"))?),
    };
    let Some(id) = row.get::<_, Option<i64>>("claim_id") else {
        return Err(limited_by.unwrap_or(Allowance::User).used_up(limit));
    };
    let reserved = u64::try_from(row.get::<_, i64>("reserved")).unwrap_or(0);
    Ok(Claim { id, bytes: reserved, limited_by: limited_by.map(|a| (a, limit)), db: db.clone(), open: true })
}

impl Claim {
    /// The answer for a file that has grown past the reservation.
    pub fn exceeded(&self) -> AppError {
        match self.limited_by {
            Some((allowance, daily)) => too_many(format!(
                "the file is larger than what is left of {}: {} of {daily} bytes in 24 hours",
                allowance.describe(),
                self.bytes
            )),
            // Only a body longer than its own Content-Length gets here.
            None => {
                AppError::BadRequest(format!("the upload is longer than its Content-Length ({} bytes)", self.bytes))
            }
        }
    }

    /// In the transaction that records the upload: the reservation becomes a claim of `size`
    /// bytes for 24 hours, or 429 if it expired and the room went to other uploads meanwhile.
    /// The claim is kept only if the transaction commits: call [`Claim::stored`] then.
    pub async fn settle(
        &self,
        tx: &Transaction<'_>,
        config: &StorageConfig,
        uploader: i64,
        chat_id: i64,
        size: i64,
    ) -> Result<()> {
        let [user, guest, link, host] = limits(config);
        let row = tx
            .query_one(
                "SELECT stored, limited_by, limit_bytes FROM upload_settle($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&self.id, &uploader, &chat_id, &size, &user, &guest, &link, &host],
            )
            .await?;
        if row.get("stored") {
            return Ok(());
        }
        let name: Option<String> = row.get("limited_by");
        let allowance = name.as_deref().and_then(Allowance::from_sql).unwrap_or(Allowance::User);
        let daily = u64::try_from(row.get::<_, Option<i64>>("limit_bytes").unwrap_or(0)).unwrap_or(0);
        Err(too_many(format!(
            "the upload took longer than its reservation and no longer fits in {} ({daily} bytes in 24 hours)",
            allowance.describe()
        )))
    }

    /// The upload was recorded: its claim stays (it counts for 24 hours).
    pub fn stored(mut self) {
        self.open = false;
    }

    /// The upload failed: the reservation is given back now, before the answer is sent.
    pub async fn release(mut self) {
        self.open = false;
        if let Err(e) = release(&self.db, self.id).await {
            tracing::warn!(claim = self.id, error = format!("{e:#}"), "an upload's reservation stays until it expires");
        }
    }
}

impl Drop for Claim {
    /// An upload abandoned mid-way (the client went away and the request was dropped) gives its
    /// reservation back in the background.
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let (db, id) = (self.db.clone(), self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = release(&db, id).await {
                    tracing::warn!(
                        claim = id,
                        error = format!("{e:#}"),
                        "an upload's reservation stays until it expires"
                    );
                }
            });
        }
    }
}

async fn release(db: &Pool, id: i64) -> anyhow::Result<()> {
    db.get().await?.execute("SELECT upload_release($1)", &[&id]).await?;
    Ok(())
}

/// Deletes the claims that count no more (expired reservations, uploads stored over 24 hours
/// ago); returns how many.
pub async fn purge(db: &Pool) -> anyhow::Result<usize> {
    let mut purged = 0;
    loop {
        let row = db.get().await?.query_one("SELECT upload_claims_purge(1000)", &[]).await?;
        let n = usize::try_from(row.get::<_, i32>(0)).unwrap_or(0);
        purged += n;
        if n < 1000 {
            return Ok(purged);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_whose_allowance_is_used_up() {
        let message = |e: AppError| e.to_string();
        assert_eq!(
            message(Allowance::Guest.used_up(5)),
            "Your upload allowance as a guest is used up (5 bytes in 24 hours); try again later"
        );
        assert!(
            message(Allowance::Link.used_up(5))
                .starts_with("The upload allowance that the visitors of this inquiry link")
        );
        assert!(message(Allowance::Host.used_up(5)).contains("this teacher's inquiry links"));
        assert_eq!(Allowance::User.used_up(5).status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(Allowance::from_sql("host"), Some(Allowance::Host));
        assert_eq!(Allowance::from_sql("closed"), None);
    }
}

//! Files and images in messages: uploading one to a chat, and downloading it.
//!
//! An upload is streamed to storage while it is hashed and measured (the limits answer 413
//! and 429 as soon as they are passed), its type is sniffed from its first bytes (the client's
//! claim is ignored), an image's size is read from its header (no thumbnails are made: clients
//! scale the image), and a row of `attachments` records it, unattached. `POST /api/messages`
//! then attaches it (see `sql/V11__attachments_and_notices.sql`).
//!
//! A download goes to current members of the chat who may see the message (a group member
//! from their join on, as history) and to admins; an upload not attached yet only to its
//! uploader; a deleted message's files only to admins (audit). Every answer is a download that
//! cannot run: `Content-Disposition: attachment`, `nosniff`, and a CSP that sandboxes it, so an
//! uploaded HTML or SVG page never executes in the app's origin.

use std::time::Duration;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};

use super::access::check_access;

pub(crate) mod download;

use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::PathParam;
use crate::limits::Limited;
use crate::storage::Storage;
use crate::views::{Attachment, IMAGE_TYPES};
use crate::{AppError, AppState, Result};
pub use download::content_disposition;
use download::download;

/// How much of an upload's beginning is kept to sniff its type and read an image's size.
const HEAD_BYTES: usize = 256 * 1024;

/// Longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 255;

pub fn router(max_file_bytes: u64) -> Router<AppState> {
    // The body limit leaves room for the multipart framing; the handler enforces the file's.
    let limit = usize::try_from(max_file_bytes).unwrap_or(usize::MAX).saturating_add(1024 * 1024);
    Router::new()
        .route("/api/chats/{chat_id}/attachments", post(upload).layer(DefaultBodyLimit::max(limit)))
        .route("/api/attachments/{id}", get(download))
}

/// Uploads one file (the multipart part `file`) to a chat the caller takes part in. Attach it
/// to a message with `attachment_ids` within a day, or it is deleted.
#[utoipa::path(post, path = "/api/chats/{chat_id}/attachments", tag = "attachments",
    params(("chat_id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "one part named `file`, with a filename"),
    responses((status = 201, body = Attachment), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 413, body = ErrorBody, description = "the file is larger than ATTACHMENT_MAX_BYTES"),
              (status = 429, body = ErrorBody, description = "ATTACHMENT_DAILY_BYTES reached, or the write rate")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Attachment>)> {
    let mut form = form.map_err(|e| {
        AppError::Client(
            e.status(),
            format!("send the file as multipart/form-data with a part named `file` ({})", e.body_text()),
        )
    })?;
    if user.is_admin() {
        return Err(AppError::Forbidden("admins have read-only access and cannot upload files".into()));
    }
    state.limits.check(Limited::write_by(user.role), user.id)?;
    check_access(&state, chat_id, &user).await?;
    let config = &state.config.storage;
    let used = uploaded_today(&state, user.id).await?;
    if used >= config.daily_bytes_per_user {
        return Err(quota_reached(config.daily_bytes_per_user));
    }

    let mut field = loop {
        let next = form.next_field().await.map_err(multipart_error)?;
        match next {
            Some(field) if field.name() == Some("file") => break field,
            Some(_) => continue, // other parts are ignored
            None => return Err(AppError::BadRequest("the form has no part named `file`".into())),
        }
    };
    let name = clean_name(field.file_name().unwrap_or_default());

    let mut upload = state.storage.upload();
    let (mut hasher, mut size, mut head) = (Sha256::new(), 0u64, Vec::new());
    let received = async {
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            size += chunk.len() as u64;
            if size > config.max_file_bytes {
                return Err(AppError::Client(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the file is larger than the limit of {} bytes", config.max_file_bytes),
                ));
            }
            if used + size > config.daily_bytes_per_user {
                return Err(quota_reached(config.daily_bytes_per_user));
            }
            hasher.update(&chunk);
            if head.len() < HEAD_BYTES {
                head.extend_from_slice(&chunk[..chunk.len().min(HEAD_BYTES - head.len())]);
            }
            upload.write(&chunk).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = received {
        upload.abort().await;
        return Err(e);
    }
    if size == 0 {
        upload.abort().await;
        return Err(AppError::BadRequest("the file is empty".into()));
    }
    let temporary = upload.finish().await?;
    let sha256 = hex(&hasher.finalize());
    let content_type = sniff(&head);
    let (width, height) = match IMAGE_TYPES.contains(&content_type.as_str()) {
        true => imagesize::blob_size(&head)
            .ok()
            .and_then(|s| Some((i32::try_from(s.width).ok()?, i32::try_from(s.height).ok()?)))
            .filter(|&(w, h)| w > 0 && h > 0)
            .map_or((None, None), |(w, h)| (Some(w), Some(h))),
        false => (None, None),
    };

    // The bytes go to their blob and the row is recorded under the content's lock, which a
    // sweep takes too before it deletes a blob nobody references (see attachments_sweep()).
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&sha256]).await?;
    if let Err(e) = state.storage.keep(&temporary, &sha256).await {
        let _ = state.storage.delete_temporary(&temporary).await;
        return Err(e.into());
    }
    let size_column = i64::try_from(size).map_err(|_| anyhow::anyhow!("an upload of {size} bytes"))?;
    let row = tx
        .query_one(
            "INSERT INTO attachments (chat_id, uploader_id, name, content_type, size, sha256, width, height)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[&chat_id, &user.id, &name, &content_type, &size_column, &sha256, &width, &height],
        )
        .await?;
    tx.commit().await?;
    metrics::counter!(crate::metrics::UPLOADED_BYTES).increment(size);
    let attachment = Attachment { id: row.get("id"), name, content_type, size: size_column, sha256, width, height };
    Ok((StatusCode::CREATED, Json(attachment)))
}

/// What `user` uploaded in the last 24 hours, in bytes.
async fn uploaded_today(state: &AppState, user: i64) -> Result<u64> {
    let row = state
        .db
        .get()
        .await?
        .query_one(
            "SELECT coalesce(sum(size), 0)::bigint AS used FROM attachments
             WHERE uploader_id = $1 AND created_at > now() - interval '24 hours'",
            &[&user],
        )
        .await?;
    Ok(u64::try_from(row.get::<_, i64>("used")).unwrap_or(0))
}

fn quota_reached(limit: u64) -> AppError {
    AppError::TooManyRequests {
        message: format!("you have uploaded the most allowed in 24 hours ({limit} bytes); try again later"),
        retry_after: Duration::from_secs(3600),
    }
}

/// A multipart error as a client error (a body over the limit is 413).
fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    AppError::Client(e.status(), format!("the upload is not a valid multipart form: {}", e.body_text()))
}

/// A file name to keep and show: its last path segment, without control characters, at most
/// 255 characters; `file` when nothing is left.
fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." { "file".to_owned() } else { name.to_owned() }
}

/// The content type of a file that begins with `head`: by its magic bytes, else UTF-8 text,
/// else opaque bytes.
fn sniff(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut inside a character at the end of the head: still text.
        Err(e) => e.error_len().is_none(),
    };
    if text && !head.contains(&0) {
        "text/plain; charset=utf-8".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deletes uploads older than `age` that no message attached, and their bytes when no other
/// upload has the same content; then temporary objects of uploads that never finished.
/// Returns how many uploads were deleted. Never touches an attached upload (the database
/// function deletes only unattached rows, and a row attached meanwhile stays).
pub async fn sweep(db: &deadpool_postgres::Pool, storage: &Storage, age: Duration) -> anyhow::Result<usize> {
    let mut deleted = 0;
    loop {
        let mut client = db.get().await?;
        let tx = client.transaction().await?;
        let rows =
            tx.query("SELECT * FROM attachments_sweep(make_interval(secs => $1), 100)", &[&age.as_secs_f64()]).await?;
        for row in &rows {
            if !row.get::<_, bool>("referenced") {
                storage.delete(row.get("sha256")).await?;
            }
        }
        tx.commit().await?;
        deleted += rows.len();
        if rows.len() < 100 {
            break;
        }
    }
    storage.sweep_temporary(age).await?;
    Ok(deleted)
}

/// Sweeps every quarter of `ATTACHMENT_ORPHAN_SECS` (at most hourly) until shutdown.
pub async fn keep_sweeping(state: AppState) {
    let age = state.config.storage.orphan_after;
    let mut every = tokio::time::interval((age / 4).min(Duration::from_secs(3600)));
    every.tick().await; // not at start-up
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match sweep(&state.db, &state.storage, age).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "deleted uploads that no message attached"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "the attachment sweep failed; it runs again later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_letters_and_lose_their_paths() {
        assert_eq!(clean_name("C:\\Users\\маша\\решение задачи.pdf"), "решение задачи.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\nc"), "abc");
        assert_eq!(clean_name(" .. "), "file");
        assert_eq!(clean_name(&"я".repeat(300)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"<!DOCTYPE html><html><script>alert(1)</script>"), "text/html");
        assert_eq!(sniff("задача 1: x + 2 = 5".as_bytes()), "text/plain; charset=utf-8");
        assert_eq!(sniff(&"ж".as_bytes()[..1]), "text/plain; charset=utf-8");
        assert_eq!(sniff(b"\x00\x01\x02\xff"), "application/octet-stream");
    }
}

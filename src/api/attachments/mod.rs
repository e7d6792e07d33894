//! Files and images in messages: uploading one to a chat, and downloading it.
//!
//! An upload first reserves its length against the upload allowances, in PostgreSQL, so that
//! parallel uploads on any replicas cannot pass them together (`crate::uploads::allowance`); a closed chat
//! takes none (409). It is then streamed to storage while it is hashed and measured (the file
//! limit answers 413 and the reservation 429 as soon as they are passed), its type is sniffed
//! from its first bytes (the client's claim is ignored), an image's size is read from its header
//! (no thumbnails are made: clients scale the image), and a row of `attachments` records it,
//! unattached, as its reservation becomes its stored size. `POST /api/messages` then attaches it
//! (see `sql/functions/attachments_bind.sql`); unattached uploads are swept (`crate::uploads`).
//!
//! A download goes to current members of the chat who may see the message (a group member
//! from their join on, as history) and to admins; an upload not attached yet only to its
//! uploader; a deleted message's files only to admins (audit). Every answer is a download that
//! cannot run: `Content-Disposition: attachment`, `nosniff`, and a CSP that sandboxes it, so an
//! uploaded HTML or SVG page never executes in the app's origin.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::access::Writer;
use crate::access::check_access;
use crate::uploads::allowance;

pub(crate) mod download;

use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::PathParam;
use crate::wire::{Attachment, IMAGE_TYPES};
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
    crate::access::for_guests(
        Router::new()
            .route("/api/chats/{chat_id}/attachments", post(upload).layer(DefaultBodyLimit::max(limit)))
            .route("/api/attachments/{id}", get(download)),
    )
}

/// The upload form, as the document describes it (the handler streams the part itself): one
/// part, `file`, and no other.
/// (`additionalProperties: false` is set in `openapi::document`.)
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only described, never built
pub struct UploadForm {
    /// The file, with its filename.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads one file (the multipart part `file`) to a chat the caller takes part in. Attach it
/// to a message with `attachment_ids` within a day (a guest: an hour), or it is deleted.
#[utoipa::path(post, path = "/api/chats/{chat_id}/attachments", tag = "attachments",
    params(("chat_id" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "one part named `file`, with a filename"),
    responses((status = 422, body = ErrorBody, description = "an empty file"), (status = 201, body = Attachment), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)"),
              (status = 409, body = ErrorBody, description = "the chat is closed (read-only)"),
              (status = 413, body = ErrorBody, description = "the file is larger than ATTACHMENT_MAX_BYTES"),
              (status = 429, body = ErrorBody, description = "an upload allowance is used up, or the file does not fit \
                in what is left of it: the uploader's (ATTACHMENT_DAILY_BYTES; a guest's ATTACHMENT_GUEST_DAILY_BYTES), \
                a guest's inquiry link's (ATTACHMENT_LINK_DAILY_BYTES) or that link's teacher's \
                (ATTACHMENT_HOST_DAILY_BYTES); or the write rate")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Attachment>)> {
    let Writer(user) = Writer::admit_in(&state, user, chat_id).await?;
    let mut form = form.map_err(|e| {
        AppError::Client(
            e.status(),
            format!("send the file as multipart/form-data with a part named `file` ({})", e.body_text()),
        )
    })?;
    // A closed chat takes no upload: refused here at once, and bound by upload_reserve().
    check_access(&state, chat_id, &user).await?.writable(chat_id)?.postable(chat_id)?;
    // The file is at most the request, and at most the limit: reserved before a byte streams.
    let max_file_bytes = state.config.storage.max_file_bytes;
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let claim = allowance::reserve(
        &state.db,
        &state.config.storage,
        user.id,
        chat_id,
        length.map_or(max_file_bytes, |l| l.min(max_file_bytes)),
    )
    .await?;
    match receive(&state, &user, chat_id, &mut form, &claim).await {
        Ok(attachment) => {
            claim.stored();
            metrics::counter!(crate::metrics::UPLOADED_BYTES).increment(attachment.size.unsigned_abs());
            Ok((StatusCode::CREATED, Json(attachment)))
        }
        Err(e) => {
            claim.release().await;
            Err(e)
        }
    }
}

/// Streams the form's file to storage within `claim` and records it.
async fn receive(
    state: &AppState,
    user: &AuthUser,
    chat_id: i64,
    form: &mut Multipart,
    claim: &allowance::Claim,
) -> Result<Attachment> {
    let config = &state.config.storage;
    // The form is exactly as the document describes it (`UploadForm`): one part, `file`.
    let mut field = match form.next_field().await.map_err(multipart_error)? {
        Some(field) if field.name() == Some("file") => field,
        Some(field) => {
            let name = field.name().unwrap_or_default().chars().take(64).collect::<String>();
            return Err(AppError::BadRequest(format!(
                "the form has a part named {name:?}: an upload form has one part, `file`"
            )));
        }
        None => return Err(AppError::BadRequest("the form has no part named `file`".into())),
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
            if size > claim.bytes {
                return Err(claim.exceeded());
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
        return Err(AppError::Unprocessable("the file is empty".into()));
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
    let size = i64::try_from(size).map_err(|_| anyhow::anyhow!("an upload of {size} bytes"))?;

    // The bytes go to their blob and the row is recorded under the content's lock, which a
    // sweep takes too before it deletes a blob nobody references (see attachments_sweep()).
    // The blob is kept before anything is written: an advisory lock takes no transaction id,
    // so no xid is held across the object store's copy, and the log's readers, which stop at
    // the oldest transaction holding one, never wait for a file's bytes. Then the claim is
    // settled: a refusal takes the blob back unless another row holds the same content.
    let recorded = async {
        let mut client = state.db.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&sha256]).await?;
        state.storage.keep(&temporary, &sha256).await?;
        if let Err(refused) = claim.settle(&tx, config, user.id, chat_id, size).await {
            let held = tx.query_one("SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = $1)", &[&sha256]).await;
            if matches!(held.map(|r| r.get::<_, bool>(0)), Ok(false)) {
                state.storage.delete(&sha256).await?;
            }
            return Err(refused);
        }
        let row = tx
            .query_one(
                "INSERT INTO attachments (chat_id, uploader_id, name, content_type, size, sha256, width, height)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[&chat_id, &user.id, &name, &content_type, &size, &sha256, &width, &height],
            )
            .await?;
        tx.commit().await?;
        Ok::<i64, AppError>(row.get("id"))
    }
    .await;
    match recorded {
        Ok(id) => Ok(Attachment { id, name, content_type, size, sha256, width, height }),
        Err(e) => {
            // Nothing of it stays (a temporary object already moved to its blob is gone).
            let _ = state.storage.delete_temporary(&temporary).await;
            Err(e)
        }
    }
}

/// A multipart error as a client error (a body over the limit is 413).
fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    AppError::Client(e.status(), format!("the upload is not a valid multipart form: {}", e.body_text()))
}

/// A file name to keep and show: its last path segment, at most 255 characters, without the
/// characters that are not shown but change what is: controls, line and paragraph separators,
/// and format characters (Unicode's Cf: the bidirectional overrides and isolates that make
/// `invoice\u{202E}gpj.exe` display as `invoiceexe.jpg`, zero-width spaces and joiners, the
/// BOM, soft hyphens, …). `file` when nothing is left.
fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|&c| shown_in_a_name(c)).take(MAX_NAME_CHARS).collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." { "file".to_owned() } else { name.to_owned() }
}

/// Whether a file name keeps `c`: not a control, separator of lines or paragraphs, or format
/// character.
fn shown_in_a_name(c: char) -> bool {
    !matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
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
    fn names_lose_the_format_characters_that_disguise_them() {
        assert_eq!(clean_name("invoice\u{202E}gpj.exe"), "invoicegpj.exe");
        // Every character the review named, and a few more of category Cf.
        let hidden = concat!(
            "\u{00AD}\u{061C}\u{180E}\u{200B}\u{200C}\u{200D}\u{200E}\u{200F}\u{202A}\u{202B}\u{202C}\u{202D}",
            "\u{202E}\u{2060}\u{2061}\u{2062}\u{2063}\u{2064}\u{2066}\u{2067}\u{2068}\u{2069}\u{FEFF}\u{FFF9}",
            "\u{0600}\u{E0001}\u{2028}\u{2029}\u{0085}",
        );
        for c in hidden.chars() {
            assert_eq!(clean_name(&format!("ot{c}chet.pdf")), "otchet.pdf", "U+{:04X}", c as u32);
        }
        assert_eq!(clean_name("\u{202E}\u{200B} \u{FEFF}"), "file", "nothing shown is left");
        // What is shown stays: letters of any script, spaces, emoji without their joiners.
        assert_eq!(clean_name("домашка №3 (финал) 📚.pdf"), "домашка №3 (финал) 📚.pdf");
        assert_eq!(clean_name("שיעורי בית.pdf"), "שיעורי בית.pdf");
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

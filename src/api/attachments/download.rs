//! Downloading an attachment: who may (as for the message that carries it), and an answer that
//! can never run in the app's origin (`Content-Disposition: attachment`, `nosniff`, a
//! sandboxing CSP), with `ETag`/`If-None-Match` and single `Range` requests. An admin's or a
//! guardian's download leaves an access record (`attachment`), as their other reads do.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};

use crate::access::{AttachedTo, Attachment, may_read_attachment};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::PathParam;
use crate::{AppError, AppState, Result};

/// Streams an attachment's bytes (or one range of them) to whoever may see it.
/// The request headers a download reads, as the document describes them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // only described, never built
pub struct DownloadHeaders {
    /// One byte range, e.g. `bytes=0-1023` (several: the whole file is sent; one that does not
    /// parse, or lies beyond the file: 416).
    #[param(rename = "Range", nullable = false)]
    range: Option<String>,
    /// The ETag you have: 304 if unchanged.
    #[param(rename = "If-None-Match", nullable = false)]
    if_none_match: Option<String>,
}

#[utoipa::path(get, path = "/api/attachments/{id}", tag = "attachments", params(("id" = i64, Path), DownloadHeaders),
    responses((status = 200, description = "the file, as a download, with the type sniffed from its bytes at upload", content_type = "*/*"),
              (status = 206, description = "the range asked for"), (status = 304, description = "not modified"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such file, or not the caller's to see (one answer for both)"),
              (status = 416, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, attachment_id = id))]
pub async fn download(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
    headers: HeaderMap,
) -> Result<Response> {
    let row = state
        .db
        .get()
        .await?
        .query_opt(
            "SELECT a.chat_id, a.uploader_id, a.name, a.content_type, a.size, a.sha256, a.message_id,
                    m.is_deleted, m.position, m.hidden_at IS NOT NULL AS hidden
             FROM attachments a LEFT JOIN messages m ON m.id = a.message_id WHERE a.id = $1",
            &[&id],
        )
        .await?
        .ok_or_else(|| crate::access::no_attachment(id))?;
    let chat_id: i64 = row.get("chat_id");
    let attachment = Attachment {
        id,
        chat_id,
        uploader_id: row.get("uploader_id"),
        message: row.get::<_, Option<i64>>("message_id").map(|message| AttachedTo {
            id: message,
            position: row.get("position"),
            deleted: row.get("is_deleted"),
            hidden: row.get("hidden"),
        }),
    };
    may_read_attachment(&state, &user, &attachment).await?;

    let sha256: String = row.get("sha256");
    let size = u64::try_from(row.get::<_, i64>("size")).unwrap_or(0);
    let etag = format!("\"{sha256}\"");
    let mut response_headers = HeaderMap::new();
    let name: String = row.get("name");
    response_headers.insert(header::ETAG, value(&etag));
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response_headers.insert(header::CONTENT_DISPOSITION, value(&content_disposition(&name)));
    response_headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response_headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    response_headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));

    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| matches_etag(v, &etag)) {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    // An admin's or a guardian's download is a read of the chat: recorded before a byte goes
    // out (a participant's is not; a 304 sends none).
    crate::access::record_read(&state.db, &user, &[chat_id], crate::access::Via::Attachment).await?;
    let content_type: String = row.get("content_type");
    response_headers.insert(header::CONTENT_TYPE, value(&content_type));

    // A range applies unless If-Range names another version.
    let if_range_ok = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()).is_none_or(|v| v == etag);
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(range) if if_range_ok => match http_range_header::parse_range_header(range).map(|r| r.validate(size)) {
            Ok(Ok(ranges)) if ranges.len() == 1 => Some(ranges[0].clone()),
            Ok(Ok(_)) => None, // several ranges: the whole file (RFC 9110 allows it)
            Ok(Err(_)) | Err(_) => {
                let mut refused = AppError::Client(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    format!("range {range:?} is not satisfiable for a file of {size} bytes"),
                )
                .into_response();
                refused.headers_mut().insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
                return Ok(refused);
            }
        },
        _ => None,
    };

    let (status, bytes) = match &range {
        Some(r) => {
            response_headers.insert(header::CONTENT_RANGE, value(&format!("bytes {}-{}/{size}", r.start(), r.end())));
            (StatusCode::PARTIAL_CONTENT, *r.start()..*r.end() + 1)
        }
        None => (StatusCode::OK, 0..size),
    };
    response_headers.insert(header::CONTENT_LENGTH, value(&(bytes.end - bytes.start).to_string()));
    let stream = state.storage.read(&sha256, range.map(|_| bytes)).await.map_err(|e| {
        anyhow::anyhow!("attachment {id}: the bytes of {sha256} cannot be read from {}: {e:#}", state.storage.describe)
    })?;
    // Fused: the compression layer's encoder (an SVG or a JSON file) polls once more after the end.
    let body = Body::from_stream(stream.map_err(std::io::Error::other).fuse());
    Ok((status, response_headers, body).into_response())
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
fn matches_etag(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// `attachment` with the file name in both forms (RFC 6266): an ASCII fallback and the exact
/// name percent-encoded as UTF-8 (RFC 8187), so a Cyrillic name survives in every browser.
pub fn content_disposition(name: &str) -> String {
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => encoded.push(byte as char),
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_names_survive_in_the_disposition() {
        assert_eq!(
            content_disposition("решение 1.txt"),
            "attachment; filename=\"_______ 1.txt\"; filename*=UTF-8''%D1%80%D0%B5%D1%88%D0%B5%D0%BD%D0%B8%D0%B5%201.txt"
        );
        assert_eq!(content_disposition("a\"b.pdf"), "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf");
    }

    #[test]
    fn etags_match_strong_weak_and_any() {
        assert!(matches_etag("\"abc\"", "\"abc\""));
        assert!(matches_etag("W/\"abc\", \"x\"", "\"abc\""));
        assert!(matches_etag("*", "\"abc\""));
        assert!(!matches_etag("\"abd\"", "\"abc\""));
    }
}

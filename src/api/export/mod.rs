//! Exporting a conversation as it was at a moment, for a parent or an inspector: JSON (for
//! programs), HTML (to read and print), PDF (to file away). The messages are read by the audit's
//! own function, `audit_chat_at`, so an admin's JSON export is exactly what the audit shows in
//! psql at that moment; a participant gets the messages of that moment that they may read
//! (their membership's stretches of the log), each as it is now: a hidden message as a
//! placeholder, a deleted one without its text, an edited one with its current text. Each comes
//! with its reactions (who, by name, and how many), its pin and, in JSON, whom it mentions, as
//! they are now. Every export is an event of the log (`chat_exported`: who, which format, when).
//!
//! Streamed: rows come from the database as a stream and leave as body chunks, each format
//! writing one message at a time (`render`), so a 100,000-message chat is never held whole.
//! PDF is written by our own streaming writer (`pdf`) rather than a headless browser printing
//! the HTML: a browser holds the whole document and needs a browser on every replica.

mod fonts;
mod local;
pub mod pdf;
mod render;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use serde::Deserialize;
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::access::{Readable, check_read_access};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{PathParam, QueryParams};
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::standby::{ReadClient, reading};
use crate::wire::{Attachment, Hidden, Person, Purged};
use crate::{AppError, AppState, Result};
pub use local::Lang;
use render::{ExportedChat, ExportedReaction, Head, Member, Message, Renderer};

pub fn router() -> Router<AppState> {
    crate::access::for_guests(Router::new().route("/api/chats/{chat_id}/export", get(export)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Html,
    Pdf,
}

impl Format {
    /// Its name, as the query, the log and the file's extension say it.
    fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (the default), `html` or `pdf`.
    #[param(nullable = false)]
    pub format: Option<Format>,
    /// The moment to show the conversation as it was (RFC 3339); default and latest: now.
    #[param(nullable = false, value_type = Option<String>, format = DateTime)]
    pub at: Option<String>,
    /// Default: from `Accept-Language` (else English).
    #[param(nullable = false)]
    pub lang: Option<Lang>,
}

/// The conversation as it was at `at`, membership included, with edits, deletions, hidden and
/// purged messages marked as such and attachments listed, the school's name and the time of
/// export, in the reader's language; a download (`Content-Disposition: attachment`). For the
/// chat's participants (what they may read) and admins (everything, as the audit shows it).
#[utoipa::path(get, path = "/api/chats/{chat_id}/export", tag = "export", params(("chat_id" = i64, Path), ExportQuery),
    responses((status = 200, description = "the export, streamed",
               content(("application/json"), ("text/html"), ("application/pdf"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)"),
              (status = 422, body = ErrorBody, description = "`at` is not an RFC 3339 time, or the export outlasted EXPORT_TIMEOUT_SECS before its download began"),
              (status = 429, body = ErrorBody, description = "too many reads, or the caller's searches and exports already running (RATE_COSTLY_READS_AT_ONCE)"),
              (status = 503, body = ErrorBody, description = "PDF asked for and the font (EXPORT_FONT) is missing")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn export(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    QueryParams(query): QueryParams<ExportQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    state.limits.check(Limited::Read, user.id)?;
    // An export is recorded: another site's link must not make a signed-in browser record one.
    if user.credential == crate::auth::Credential::Cookie {
        crate::auth::origin::check_navigation(&headers, &state.config.auth.allowed_origins)?;
    }
    let readable = check_read_access(&state, chat_id, &user).await?;
    crate::access::record_read(&state.db, &user, &[chat_id], crate::access::Via::Export).await?;
    let format = query.format.unwrap_or(Format::Json);
    let now = OffsetDateTime::now_utc();
    let at = match &query.at {
        None => now,
        Some(text) => super::moderation::people::rfc3339(text)?.min(now),
    };
    let lang = local::language(query.lang, &headers);
    let zone = local::Zone::named(&state.school.time_zone());
    let mut renderer = match format {
        Format::Json => Renderer::Json { first: true },
        Format::Html => Renderer::Html { lang, zone },
        Format::Pdf => Renderer::Pdf { lang, zone, writer: Box::new(pdf_writer(&state, chat_id).await?) },
    };

    // One of the person's few costly reads at once, all of it (the download too) within
    // EXPORT_TIMEOUT_SECS: a huge chat or a stalled client never holds a connection longer.
    let running = state.limits.costly(user.id)?;
    let deadline = tokio::time::Instant::now() + state.config.rate.export_timeout;
    let admin = crate::access::viewer(&user) == crate::access::Viewer::Admin;
    let (head, recorded) = within(deadline, async {
        let client = state.db.get().await?;
        let at = if admin { at } else { moment_of_membership(&**client, at, now, &readable).await? };
        let chat = client
            .query_opt("SELECT kind, title FROM chats WHERE id = $1", &[&chat_id])
            .await?
            .ok_or_else(|| crate::access::no_chat(chat_id))?;
        let members = client
            .query("SELECT user_id, user_name, role, member_since FROM audit_chat_members_at($1, $2)", &[&chat_id, &at])
            .await?
            .iter()
            .map(|r| {
                let (user_id, name) = (r.try_get("user_id")?, r.try_get("user_name")?);
                Ok(Member { user_id, name, role: r.try_get("role")?, member_since: r.try_get("member_since")? })
            })
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
        // A guardian's export of their child's group names no other member.
        let members = members.into_iter().filter(|m| readable.names(m.user_id)).collect();
        let exported = NewEvent::ChatExported { chat_id, actor_id: user.id, format: format.name(), at };
        let recorded = state.appender.append(exported).await?.map_or(0, |e| e.position);
        let head = Head {
            school: state.school.name(),
            exported_at: now,
            exported_by: Person { id: user.id, name: user.name.clone(), role: user.role },
            at,
            language: lang,
            chat: ExportedChat { id: chat_id, kind: chat.try_get("kind")?, title: chat.try_get("title")? },
            members,
        };
        Ok((head, recorded))
    })
    .await?;
    metrics::counter!(crate::metrics::EXPORTS, "format" => format.name()).increment(1);

    let first = renderer.head(&head)?;
    // The messages from the standby when there is one, once it has the export's own record.
    let sql = if admin { AS_THEN_SQL } else { AS_NOW_SQL };
    let at = head.at;
    let (client, rows) = within(deadline, async {
        reading!(state.reads, recorded, |client| {
            let statement = client.prepare_cached(sql).await?;
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&chat_id, &at];
            let rows = client.query_raw(&statement, params).await?;
            Ok((client, rows))
        })
    })
    .await?;
    let streaming = Streaming { client, rows: Box::pin(rows), renderer: Some(renderer), admin, readable };
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(first) })
        .chain(futures::stream::unfold(streaming.run(deadline, running), |mut chunks| async move {
            chunks.recv().await.map(|chunk| (chunk, chunks))
        }))
        // The compression layer's encoder polls its source once more after the end; `unfold`
        // would panic there.
        .fuse();

    let filename = format!("chat-{chat_id}-{}.{}", at.unix_timestamp(), format.name());
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The moment a participant's export shows: `at` if they were a member then; else the end of
/// their last membership before it; else the start of their first. So an export never shows
/// the chat at a moment they were not in it: not its members then, not its messages.
async fn moment_of_membership(
    client: &impl tokio_postgres::GenericClient,
    at: OffsetDateTime,
    now: OffsetDateTime,
    readable: &Readable,
) -> Result<OffsetDateTime> {
    let positions: Vec<i64> = readable.from.iter().chain(&readable.through).copied().collect();
    let times = crate::log::store::times_of(client, &positions).await?;
    let time = |position: i64| match position {
        0 => Some(OffsetDateTime::UNIX_EPOCH),
        i64::MAX => Some(now),
        _ => times.get(&position).copied(),
    };
    let mut windows: Vec<(OffsetDateTime, OffsetDateTime)> =
        readable.from.iter().zip(&readable.through).filter_map(|(f, t)| Some((time(*f)?, time(*t)?))).collect();
    windows.sort();
    if windows.is_empty() || windows.iter().any(|(from, through)| (*from..=*through).contains(&at)) {
        return Ok(at);
    }
    let ended_before = windows.iter().rev().find(|(_, through)| *through <= at).map(|(_, through)| *through);
    Ok(ended_before.unwrap_or(windows[0].0))
}

/// An admin's export: chat $1's messages at moment $2, each as it was then (the audit's view),
/// with its reactions, mentions and pin as they are now.
const AS_THEN_SQL: &str = "SELECT a.*, x.reactions,
        (SELECT v.mentions FROM message_views v WHERE v.id = a.message_id) AS mentions,
        (SELECT p.pinned_at FROM chat_pins p WHERE p.message_id = a.message_id) AS pinned_at
    FROM audit_chat_at($1, $2) a CROSS JOIN LATERAL message_reactions_of(a.message_id) x";

/// A participant's export: chat $1's messages at moment $2, each as it is **now** (what its
/// author deleted or edited and a moderator hid or purged since shows as it does in the chat: a
/// past moment must not undo a removal), with its reactions, mentions and pin.
const AS_NOW_SQL: &str = "SELECT a.message_id, a.sender_id, a.sender_name, a.created_at, a.reply_to_message_id,
        a.message_position, m.content, m.is_deleted, m.deleted_at, m.edited_at, m.attachments,
        m.hidden_at, m.hidden_by, m.hidden_reason, m.purged_at, m.purge_cause, x.reactions,
        (SELECT v.mentions FROM message_views v WHERE v.id = a.message_id) AS mentions,
        (SELECT p.pinned_at FROM chat_pins p WHERE p.message_id = a.message_id) AS pinned_at
    FROM audit_chat_at($1, $2) a JOIN messages m ON m.id = a.message_id
    CROSS JOIN LATERAL message_reactions_of(a.message_id) x
    ORDER BY a.message_position";

/// An export under way: the rows still to come and the format writing them.
struct Streaming {
    /// The pooled connection the rows come over, kept until the last one.
    client: ReadClient,
    rows: std::pin::Pin<Box<tokio_postgres::RowStream>>,
    /// None once the end is written (or the export failed).
    renderer: Option<Renderer>,
    admin: bool,
    readable: Readable,
}

impl Streaming {
    /// The body's chunks after the head, written by a task of the export's own that ends at
    /// `deadline` whatever the client does: a client that stops reading stops the body's
    /// polling, not the clock. At the deadline the statement is cancelled in the database and
    /// the body ends with an error (the download is cut short); the connection and the
    /// person's place (`running`) are given back either way.
    fn run(
        mut self,
        deadline: tokio::time::Instant,
        running: crate::limits::Costly,
    ) -> tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>> {
        let (chunks, body) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let _running = running;
            let cancel = self.client.cancel_token();
            let sent = tokio::time::timeout_at(deadline, async {
                while let Some(chunk) = self.next_chunk().await {
                    let failed = chunk.is_err();
                    let chunk = chunk.map_err(|e| {
                        tracing::warn!(error = format!("{e:#}"), "an export failed while streaming");
                        std::io::Error::other("export failed")
                    });
                    if chunks.send(chunk).await.is_err() || failed {
                        break; // the client went away, or the body ended with its error
                    }
                }
            })
            .await;
            if sent.is_err() {
                tracing::warn!("an export outlasted EXPORT_TIMEOUT_SECS and was stopped");
                let _ = chunks.try_send(Err(std::io::Error::other("export outlasted EXPORT_TIMEOUT_SECS")));
                if let Err(e) = cancel.cancel_query(tokio_postgres::NoTls).await {
                    tracing::warn!(error = %e, "cannot cancel an export's statement");
                }
            }
        });
        body
    }

    /// The next piece of the body: a message the reader may see, or the end (None after it).
    async fn next_chunk(&mut self) -> Option<anyhow::Result<Vec<u8>>> {
        let mut renderer = self.renderer.take()?;
        loop {
            let row = match self.rows.next().await {
                None => return Some(renderer.finish()),
                Some(Err(e)) => return Some(Err(e.into())),
                Some(Ok(row)) => row,
            };
            match shown(&row, self.admin, &self.readable) {
                Ok(None) => continue,
                Ok(Some(message)) => {
                    let chunk = renderer.message(&message);
                    self.renderer = Some(renderer);
                    return Some(chunk);
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// `read`, unless `deadline` comes first: then 422, saying what to do.
async fn within<T>(deadline: tokio::time::Instant, read: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout_at(deadline, read).await.unwrap_or_else(|_| {
        Err(AppError::Unprocessable(
            "this export takes longer than EXPORT_TIMEOUT_SECS allows: export an earlier moment (at) or ask an admin"
                .into(),
        ))
    })
}

/// A row of `audit_chat_at` as the reader may see it (None: not theirs to see). An admin sees
/// it as the audit does. A participant sees the messages of their membership's stretches of the
/// log; a deleted one without its text or files, a hidden one as a placeholder.
fn shown(row: &Row, admin: bool, readable: &Readable) -> anyhow::Result<Option<Message>> {
    let position: i64 = row.try_get("message_position")?;
    if !admin && !readable.shows(position, row.try_get("sender_id")?) {
        return Ok(None);
    }
    let attachments: Option<postgres_types::Json<Vec<Attachment>>> = row.try_get("attachments")?;
    let mut message = Message {
        message_id: row.try_get("message_id")?,
        sender_id: row.try_get("sender_id")?,
        sender_name: row.try_get("sender_name")?,
        content: row.try_get::<_, Option<String>>("content")?.unwrap_or_default(),
        created_at: row.try_get("created_at")?,
        is_deleted: row.try_get("is_deleted")?,
        deleted_at: row.try_get("deleted_at")?,
        edited_at: row.try_get("edited_at")?,
        reply_to_message_id: row.try_get("reply_to_message_id")?,
        attachments: attachments.map(|a| a.0).unwrap_or_default(),
        hidden: Hidden::from_row(row)?,
        purged: Purged::from_row(row)?,
        reactions: Vec::new(),
        mentions: crate::wire::Mention::list_from_row(row, "mentions")?,
        pinned_at: row.try_get("pinned_at")?,
    };
    message.reactions = ExportedReaction::of(row, &message, |user| admin || readable.names(user))?;
    if !admin {
        if message.is_deleted || message.hidden.is_some() {
            message.content.clear();
            message.attachments.clear();
            message.mentions.clear();
        }
        message.hidden = message.hidden.map(|h| h.for_participants());
    }
    Ok(Some(message))
}

/// A PDF writer set in the fonts ([`fonts::read`]); 503 naming the variable when one cannot be
/// read or used.
async fn pdf_writer(state: &AppState, chat_id: i64) -> Result<pdf::PdfWriter<Vec<u8>>> {
    let fonts = fonts::read(&state.config.governance).await?;
    let writer = pdf::PdfWriter::new(Vec::new(), fonts, &format!("chat {chat_id}")).map_err(|e| {
        AppError::Unavailable(anyhow::anyhow!("EXPORT_FONT or EXPORT_FALLBACK_FONT is not a usable font: {e}"))
    })?;
    Ok(writer)
}

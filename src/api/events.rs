//! `GET /api/events/chat`: the Server-Sent Events stream of everything the caller may see.
//!
//! The connection is registered with the hub before the response headers go out, at the hub's
//! head H. Without a resume point the stream is live from H. With one (`Last-Event-ID`, or
//! `last_event_id` in the query for clients that cannot set headers) it first replays from
//! the log the caller's events in (resume, H], then continues live after H: no gap and no
//! duplicate at the seam, on any replica. A resume point that is not a position the log
//! has reached gets an `event: reset` (reload your snapshot) and the stream goes on live.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use futures::StreamExt;
use serde::Deserialize;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::auth::{AuthState, AuthUser};
use crate::extract::QueryParams;
use crate::limits::Limited;
use crate::log::store::{self, Viewer};
use crate::realtime::RealtimeState;
use crate::realtime::frames;
use crate::realtime::hub::{Opener, StreamAllowance, Subscription};
use crate::standby::{Source, reading};
use crate::wire::events::ResetEvent;
use crate::{AppError, Result};

/// `GET /api/events/chat`, for any state that carries the realtime parts and authentication.
pub fn router<S>() -> axum::Router<S>
where
    RealtimeState: axum::extract::FromRef<S>,
    AuthState: axum::extract::FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    let stream = crate::access::for_tickets(axum::Router::new().route("/api/events/chat", axum::routing::get(stream)));
    let ticket =
        crate::access::for_suspended(axum::Router::new().route("/api/events/ticket", axum::routing::post(ticket)));
    crate::access::for_guests(stream.merge(ticket))
}

/// A stream ticket: `GET /api/events/chat?token=<ticket>` opens the caller's stream once,
/// within `expires_in` seconds.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StreamTicket {
    pub ticket: String,
    pub expires_in: u64,
}

/// A ticket that opens the caller's event stream once, within a minute, for a page that cannot
/// send its token with `EventSource` (another site's, where the session cookie stays behind):
/// `new EventSource("/api/events/chat?token=" + ticket)`. Never a session token in a URL: a
/// ticket is single-use and short-lived, and the stream it opens ends with the session it
/// was asked with.
#[utoipa::path(post, path = "/api/events/ticket", tag = "events",
    responses((status = 201, body = StreamTicket), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn ticket(
    State(state): State<RealtimeState>,
    State(auth): State<AuthState>,
    user: AuthUser,
) -> Result<(axum::http::StatusCode, axum::Json<StreamTicket>)> {
    state.limits.check(Limited::Read, user.id)?;
    let session = crate::auth::Session { user: user.id, expires_at: user.expires_at, sid: user.session.clone() };
    let ticket = crate::auth::tickets::issue(&auth.db, &session).await?;
    let expires_in = crate::auth::tickets::TICKET_TTL.as_secs();
    Ok((axum::http::StatusCode::CREATED, axum::Json(StreamTicket { ticket, expires_in })))
}

/// Events replayed per query on resume.
const REPLAY_PAGE: i64 = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// The caller's token (a JWT, reusable while it is valid, since `EventSource` reconnects to
    /// the same URL), or a stream ticket (`POST /api/events/ticket`, used once), for a client
    /// that can send neither a header nor the session cookie. Never written to a log.
    #[param(nullable = false)]
    pub token: Option<String>,
    /// Resume after this position (same as the `Last-Event-ID` header, which wins). One that is
    /// not a position of this log gets a `reset` event.
    #[param(nullable = false)]
    pub last_event_id: Option<String>,
}

/// The caller's events as `text/event-stream`. Each log event has `id: <log position>`, an
/// `event:` name and one line of JSON `data:`:
///
/// - `new_message`: a `MessageEvent` (a message was sent), to everyone but its sender
/// - `message_sent`: the same `MessageEvent` with the same `id:`, to every stream of the sender
///   (every tab, every replica, replays included): the sending tab already shows its message,
///   the others add it
/// - `message_edited`: a `MessageEvent` with the new text, `is_edited: true`, `edited_at`
/// - `message_deleted`: a `MessageDeletedEvent`
/// - `messages_read`: a `MessagesReadEvent` (a participant's read marker moved; the reader's
///   own other tabs get it too)
/// - `chat_created`: `{"chat": ChatSummary}` for its participants, `{"chat": AdminChat}` for admins
///   (a group's goes to admins only: its members follow as `participant_added`)
/// - `participant_added`: a `ParticipantAddedEvent`, to the group's members, the new one included
/// - `participant_removed`: a `ParticipantRemovedEvent`, to the group's members, the removed one
///   included (who then gets nothing more of the group)
/// - `chat_renamed`: a `ChatRenamedEvent`
/// - `chat_closed`: a `ChatClosedEvent` (a chat became read-only: an idle or revoked inquiry, a
///   blocked visitor, a guardian's closure request granted)
///
/// A group member gets its events from the one that added them through the one that removed
/// them, live and on resume alike.
///
/// and, without an id (ephemeral: not in the log, never replayed, never moving `Last-Event-ID`):
///
/// - `typing`: a `TypingEvent`, to the chat's other participants (show it for 6 s unless renewed)
/// - `presence`: a `PresenceEvent`, on change, to those who share a chat with the user, and admins
///
/// and `reset` (`{"reason"}`, with the replica's head as its id) when the resume point is
/// unusable.
#[utoipa::path(get, path = "/api/events/chat", tag = "events", params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", description = "the event stream: its events are listed in `x-events` (`id: true`: a log event, with `id:`, replayed on resume; `false`: an ephemeral signal)"),
              (status = 401, body = crate::error::ErrorBody, description = "no valid credential, or a stream ticket unknown, used or expired")))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn stream(
    State(state): State<RealtimeState>,
    user: AuthUser,
    headers: HeaderMap,
    QueryParams(query): QueryParams<StreamQuery>,
) -> Result<Response> {
    let resume =
        headers.get("last-event-id").map(|v| v.to_str().unwrap_or("(not text)").to_owned()).or(query.last_event_id);
    let subscription = subscribe(&state, &user, None).await?;
    let head = subscription.head;

    let mut stream = EventStream {
        queued: VecDeque::from([Bytes::from(format!("retry: {}\n\n", jittered(state.config.sse.retry)))]),
        replay: None,
        skip_through: head,
        subscription,
        timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
        beat: Instant::now() + state.config.sse.heartbeat,
        expires: Instant::now() + until(user.expires_at),
        shutdown: Box::pin(state.shutdown.clone().cancelled_owned()),
        state: state.clone(),
        viewer: crate::access::viewer(&user),
        user: user.id,
    };
    stream.rearm();
    match resume.as_deref().map(str::trim) {
        None | Some("") => {}
        Some(raw) => match raw.parse::<i64>() {
            Ok(from) if (0..=head).contains(&from) => stream.replay = Some(from),
            Ok(from) if from > head && from <= log_head(&state).await? => {
                // Another replica is ahead of this one: the caller already has up to `from`.
                stream.skip_through = from;
            }
            _ => {
                let reason =
                    format!("resume point {raw:?} is not a position of this log; reload and continue from here");
                stream.queued.push_back(frames::frame(head, "reset", &ResetEvent { reason }));
            }
        },
    }

    let body = Body::from_stream(futures::stream::unfold(stream, |mut s| async move {
        s.next().await.map(|bytes| (Ok::<_, Infallible>(bytes), s))
    }));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    // HTTP/1.1 servers leave it out on a kept-alive connection; the specification names it.
    headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// Opens `user`'s connection to the hub, within this replica's and the user's allowance of
/// connections: the event stream's, and every dialect's socket's (each counts for presence as
/// a stream does, and gets its frames from the same hub, once, in log order). A socket on one
/// `chat` (the caller's to have checked) gets that chat's frames only; an admin's reads it only.
pub async fn subscribe(state: &RealtimeState, user: &AuthUser, chat: Option<i64>) -> Result<Subscription> {
    if state.hub.connections() >= state.config.sse.max_streams {
        // Refuse politely before the process runs out of file descriptors; the client retries
        // (EventSource does) and a load balancer can send it to another replica.
        metrics::counter!(crate::metrics::LIMITED, "limit" => "streams_per_replica").increment(1);
        return Err(AppError::Client(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "this replica has its maximum of {} open event streams; retry shortly",
                state.config.sse.max_streams
            ),
        ));
    }
    // A guest's link hands out a new guest to anyone: its guests share one allowance.
    match user.link {
        Some(link) => state.limits.check(Limited::GuestStreamOpen, link)?,
        None => state.limits.check(Limited::StreamOpen, user.id)?,
    }
    let (per_user, per_link) = (state.config.sse.max_streams_per_user, state.config.sse.max_streams_per_link);
    let allowance = StreamAllowance { per_user, link: user.link.map(|link| (link, per_link)) };
    let opener = Opener { user: user.id, role: user.role, session: user.session.as_deref(), chat };
    let Some(subscription) = state.hub.subscribe(opener, allowance) else {
        metrics::counter!(crate::metrics::LIMITED, "limit" => "streams_per_user").increment(1);
        let message = match user.link {
            Some(_) => format!(
                "you already have {per_user} open event streams on this replica, or the visitors of this inquiry link have {per_link} together (SSE_MAX_STREAMS_PER_USER, SSE_MAX_STREAMS_PER_LINK); close one or retry later"
            ),
            None => format!(
                "you already have {per_user} open event streams on this replica (SSE_MAX_STREAMS_PER_USER); close one or retry later"
            ),
        };
        return Err(AppError::TooManyRequests { message, retry_after: state.config.sse.retry });
    };
    // A guardian reads chats they take no part in: recorded before the stream answers.
    crate::access::record_stream(&state.db, user, state.hub.school().guardian_groups().own_messages()).await?;
    Ok(subscription)
}

/// The reconnection delay this stream's client is told, in milliseconds: between `retry` and
/// 1.5 times it, at random, so that when a replica (or nginx) drops thousands of streams at once
/// their browsers do not all come back in the same instant.
fn jittered(retry: Duration) -> u128 {
    let base = retry.as_millis();
    base + rand::random_range(0..=base / 2)
}

async fn log_head(state: &RealtimeState) -> Result<i64> {
    let client = state.db.get().await?;
    Ok(store::head(&**client).await?)
}

/// How long until a Unix timestamp, from now (at most a century: a later one could not be
/// added to an `Instant`).
pub(crate) fn until(expires_at: u64) -> Duration {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Duration::from_secs(expires_at).saturating_sub(now).min(Duration::from_secs(100 * 365 * 86_400))
}

struct EventStream {
    queued: VecDeque<Bytes>,
    /// Replaying from the log after this position, up to the subscription's head.
    replay: Option<i64>,
    /// Live frames at or before this position were already sent (or the client has them).
    skip_through: i64,
    subscription: Subscription,
    /// One timer for both of the stream's deadlines, whichever comes first: the next heartbeat
    /// and `expires`, the credential's end, when the stream closes. (One timer: an idle stream
    /// holds it for hours.)
    timer: std::pin::Pin<Box<Sleep>>,
    /// The next heartbeat: every `HEARTBEAT_SECS` from the stream's start, a ticker that events
    /// never reset or delay (a proxy or client that times out idle reads counts on it).
    beat: Instant,
    expires: Instant,
    shutdown: std::pin::Pin<Box<WaitForCancellationFutureOwned>>,
    state: RealtimeState,
    /// Who reads, and as whom (not the whole `AuthUser`: an idle stream keeps this for hours).
    viewer: Viewer,
    user: i64,
}

impl EventStream {
    /// The timer at the next heartbeat, or at the credential's end if that is sooner.
    fn rearm(&mut self) {
        self.timer.as_mut().reset(self.beat.min(self.expires));
    }

    /// The next chunk to send, or `None` to end the stream (the client then reconnects).
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(bytes) = self.queued.pop_front() {
                return Some(bytes);
            }
            if let Some(after) = self.replay {
                // Boxed: an idle stream waits in this function, whose future would otherwise
                // carry the replay's (a few kB) for the stream's whole life.
                match Box::pin(self.replay_page(after)).await {
                    Ok(()) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "replay failed; closing the stream so the client resumes");
                        return None;
                    }
                }
            }
            tokio::select! {
                _ = &mut self.shutdown => return None,
                _ = &mut self.timer => {
                    let now = Instant::now();
                    if now >= self.expires {
                        return None;
                    }
                    // The next tick of the same ticker (after a stall, from now: one beat,
                    // never a burst).
                    let period = self.state.config.sse.heartbeat;
                    self.beat += period;
                    if self.beat <= now {
                        self.beat = now + period;
                    }
                    self.rearm();
                    return Some(Bytes::from_static(b": heartbeat\n\n"));
                }
                frame = self.subscription.frames.next() => match frame {
                    Some(frame) if frame.position.is_some_and(|p| p <= self.skip_through) => continue,
                    Some(frame) => return Some(frame.bytes.clone()),
                    // Cut off: a slow consumer, or its user is gone or has another role.
                    None => return None,
                },
            }
        }
    }

    /// Queues the next page of replayed frames, or ends the replay at the subscription's head.
    /// Read on the standby when there is one that has reached the head (else the primary):
    /// the live frames after the head take over from there, so the replay must reach it.
    async fn replay_page(&mut self, after: i64) -> anyhow::Result<()> {
        let head = self.subscription.head;
        let viewer = self.viewer;
        let reads = &self.state.reads;
        let user = self.user;
        let groups = self.state.hub.school().guardian_groups().own_messages();
        let (stored, dispatches, memberships, wards) = reading!(reads, head, |client| {
            let stored = store::read_visible(&***client, viewer, after, head, REPLAY_PAGE, groups).await?;
            let presence = (client.source == Source::Standby).then(|| reads.primary());
            let dispatches = frames::encode(&***client, &stored, presence, frames::Shown::AsNow).await?;
            let quoting: Vec<i64> =
                dispatches.iter().filter(|d| d.unquoted.is_some()).filter_map(|d| d.chat_id).collect();
            // The membership each event was seen in (one rule with history's: `crate::access`).
            let memberships = match viewer {
                Viewer::Participant(_) | Viewer::Guardian(_) if !quoting.is_empty() => {
                    crate::access::readable_in(&client, &self.state.hub, user, &quoting).await?
                }
                _ => std::collections::HashMap::new(),
            };
            // A guardian sees each chat as the student they read it for.
            let wards = match viewer {
                Viewer::Guardian(guardian) => {
                    let mut chats: Vec<i64> = dispatches.iter().filter_map(|d| d.chat_id).collect();
                    chats.dedup();
                    crate::access::wards_in(&client, guardian, &chats, groups).await?
                }
                _ => std::collections::HashMap::new(),
            };
            Ok((stored, dispatches, memberships, wards))
        })?;
        let Some(last) = stored.last().map(|e| e.position) else {
            self.replay = None;
            return Ok(());
        };
        if viewer == Viewer::Admin {
            let seen = dispatches.iter().filter(|d| d.frames.for_admins().is_some());
            self.subscription.replayed(seen.filter_map(|d| d.chat_id));
        }
        for dispatch in dispatches {
            // An event about the reader themself (a guardian's own closure request) reaches them
            // as it did live.
            let own = dispatch.person.as_ref().filter(|p| p.user_id == user).and_then(|p| p.frame.as_ref());
            let bytes = if viewer == Viewer::Admin {
                dispatch.frames.for_admins()
            } else if own.is_some() {
                own
            } else if let Viewer::Guardian(_) = viewer {
                // Of a group, their child's own messages: the replay chose the events; the quote
                // shows only the child's own words.
                match dispatch.chat_id.and_then(|chat| wards.get(&chat)) {
                    Some(ward) if ward.own_only => ward
                        .readable
                        .since(dispatch.position)
                        .and_then(|since| dispatch.frame_for_guardian(ward.student, since)),
                    Some(ward) => dispatch.frame_for_ward(ward.student, ward.since),
                    // Their own family chat: as any member's (the replay read only those).
                    None => {
                        let since = dispatch
                            .chat_id
                            .and_then(|chat| memberships.get(&chat))
                            .and_then(|readable| readable.since(dispatch.position))
                            .unwrap_or(0);
                        dispatch.frame_for(user, since)
                    }
                }
            } else {
                // A reply is shown as it was live: its quote unavailable to whoever joined
                // after the quoted message (the membership the event was seen in says when).
                let since = dispatch
                    .chat_id
                    .and_then(|chat| memberships.get(&chat))
                    .and_then(|readable| readable.since(dispatch.position))
                    .unwrap_or(0);
                dispatch.frame_for(user, since)
            };
            if let Some(bytes) = bytes {
                self.queued.push_back(bytes.clone());
            }
        }
        self.replay = (stored.len() as i64 == REPLAY_PAGE).then_some(last);
        Ok(())
    }
}

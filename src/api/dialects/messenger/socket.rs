//! Socket.IO at `/socket.io/` (Engine.IO 4, socket.io 4 clients, long-polling with upgrade or
//! websocket only), served by `socketioxide` beside the router's routes.
//!
//! A socket is a hub connection exactly as an event stream is (`api::events::subscribe`: the
//! same allowance, counted for presence, fed by the same listener), so it gets every event its
//! user may see once, in log order, on whichever replica it is: the contract's "rooms" are what
//! the hub already filters (an admin's socket is in every one), and no socket.io adapter fans
//! out between replicas: the log and its notifications do. In, each event becomes the core's
//! operation (the send, typing, the read marker) with the socket's credential, checked as a
//! request's would be; what the core refuses gets an `error` event and the socket stays open.
//!
//! A long-polling session lives on the replica that opened it: behind nginx `/socket.io/` is
//! routed by client address (deploy/nginx.conf). Its `sid` answers only to that address
//! (`sessions`): a `sid` alone acts for nobody.

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use futures::StreamExt;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use crate::access::{Act, Writer};
use crate::api::messages::{SendMessage, post_message};
use crate::api::presence::Typing;
use crate::auth::AuthUser;
use crate::extract::{JsonBody, PathParam};
use crate::peer::ClientAddress;
use crate::realtime::hub::Subscription;
use crate::{AppError, AppState};

mod frames;
mod sessions;

/// This replica's Socket.IO server, built with the state on its first request (the routes are
/// made before the state exists), and which address opened each of its polling sessions; one
/// per router, so one per replica.
#[derive(Clone, Default)]
struct Engine {
    service: Arc<OnceLock<Service>>,
    sessions: Arc<sessions::Sessions>,
}

/// What of an Engine.IO request's query decides its session.
#[derive(Debug, Default, serde::Deserialize)]
struct EngineQuery {
    sid: Option<String>,
    transport: Option<String>,
}

type Service = BoxCloneSyncService<Request, axum::response::Response, std::convert::Infallible>;

/// `/socket.io/`, every method (polling is GET and POST; websocket a GET upgrade).
pub fn router() -> Router<AppState> {
    let engine = Engine::default();
    let serve = axum::routing::any(move |State(state): State<AppState>, ClientAddress(address), request: Request| {
        let engine = engine.clone();
        async move {
            let service = engine.service.get_or_init(|| build(state)).clone();
            let query = Query::<EngineQuery>::try_from_uri(request.uri()).map(|q| q.0).unwrap_or_default();
            if let Some(sid) = &query.sid
                && !engine.sessions.admits(sid, address)
            {
                return sessions::unknown_session();
            }
            let response = match service.oneshot(detached(request)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            // A polling handshake's answer names the session it opened.
            match (query.sid, query.transport.as_deref()) {
                (None, Some("polling")) => engine.sessions.learn(response, address).await,
                _ => response,
            }
        }
    });
    Router::new().route("/socket.io/", serve.clone()).route("/socket.io", serve)
}

/// The request as Engine.IO reads it, and nothing else, owned: engineioxide keeps a socket's
/// request parts for the socket's whole life, and the header values and URI hyper parsed are
/// slices of the connection's 8 KiB read buffer (axum's `OriginalUri` too), which would stay
/// with them: 8 KiB an idle socket, a third of its memory (measured with heaptrack). So it gets
/// copies of the two headers its transports read (the WebSocket handshake's key, a polling
/// body's type; hyper decided the upgrade from the headers it parsed), the URI, and the
/// upgrade: no cookie or other credential is kept either.
fn detached(request: Request) -> Request {
    use axum::http::header::{CONTENT_TYPE, SEC_WEBSOCKET_KEY};
    use axum::http::{HeaderMap, HeaderValue, Uri};
    let (mut parts, body) = request.into_parts();
    let mut headers = HeaderMap::with_capacity(2);
    for name in [SEC_WEBSOCKET_KEY, CONTENT_TYPE] {
        for value in parts.headers.get_all(&name) {
            if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
                headers.append(name.clone(), value);
            }
        }
    }
    parts.headers = headers;
    parts.uri = Uri::try_from(parts.uri.to_string()).unwrap_or_default();
    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
    parts.extensions = axum::http::Extensions::new();
    if let Some(upgrade) = upgrade {
        parts.extensions.insert(upgrade);
    }
    Request::from_parts(parts, body)
}

/// The server, its default namespace, and its close on shutdown: the transports end without a
/// namespace `disconnect`, so every client reconnects by itself (to another replica).
fn build(state: AppState) -> Service {
    // The WebSocket transport's read buffer as the other dialects' sockets' (socketioxide's
    // default is 4 KiB, all of it held by an idle socket), and their one size limit, on both
    // transports (socketioxide's WebSocket takes 64 MiB by default, whatever maxPayload says).
    use crate::api::dialects::socket::{MAX_MESSAGE, READ_BUFFER};
    let (service, io) = SocketIo::builder()
        .ws_read_buffer_size(READ_BUFFER)
        .max_payload(MAX_MESSAGE as u64)
        .ws_max_message_size(MAX_MESSAGE)
        .ws_max_frame_size(MAX_MESSAGE)
        .build_svc();
    let (on_connect, middleware) = (state.clone(), state.clone());
    io.ns(
        "/",
        (move |socket: SocketRef| connected(on_connect.clone(), socket))
            .with(move |socket: SocketRef, TryData(auth): TryData<Auth>| admit(middleware.clone(), socket, auth)),
    );
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        io.close().await;
    });
    let service = ServiceExt::<Request>::map_response(service, |response| response.map(Body::new));
    BoxCloneSyncService::new(service)
}

/// The connect packet's `auth`: its token, and nothing else kept of what an unauthenticated
/// peer sent (any other field is skipped as it is read, never built into a value).
#[derive(Debug, serde::Deserialize)]
struct Auth {
    token: Option<String>,
}

/// Why a connection is refused, as `connect_error {"message"}`.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("Authentication error")]
    Authentication,
    /// The hub's own refusal (too many streams): its sentence.
    #[error("{0}")]
    Hub(AppError),
}

/// The socket's hub subscription, from the middleware to the connect handler.
type Opened = Arc<Mutex<Option<Subscription>>>;

/// `auth: {token}`: the school's JWT, verified as a request's `Authorization: Bearer` is
/// (`AuthUser::of_packet_token`, the role from `users`); then the hub subscription and the
/// event handlers, all before the `connect` is sent.
async fn admit(state: AppState, socket: SocketRef, auth: Result<Auth, impl std::fmt::Debug>) -> Result<(), Refused> {
    let token = auth.ok().and_then(|a| a.token).filter(|t| !t.is_empty()).ok_or(Refused::Authentication)?;
    let auth = axum::extract::FromRef::from_ref(&state);
    let user = AuthUser::of_packet_token(&auth, &token).await.map_err(|e| {
        if e.status().is_server_error() {
            tracing::error!(error = %e, "a socket's authentication failed");
        }
        Refused::Authentication
    })?;
    let realtime = axum::extract::FromRef::from_ref(&state);
    let subscription = crate::api::events::subscribe(&realtime, &user, None).await.map_err(Refused::Hub)?;
    // Listening before the `connect` is sent: a client emits as soon as it has it.
    listen(&state, &socket, &user);
    let gone = CancellationToken::new();
    socket.on_disconnect({
        let gone = gone.clone();
        move || {
            let gone = gone.clone();
            async move { gone.cancel() }
        }
    });
    socket.extensions.insert::<Opened>(Arc::new(Mutex::new(Some(subscription))));
    socket.extensions.insert(gone);
    socket.extensions.insert(user);
    Ok(())
}

/// The socket's events, each done as its user with [`handle`].
fn listen(state: &AppState, socket: &SocketRef, user: &AuthUser) {
    for event in ["send_message", "typing", "read_messages"] {
        let (state, user) = (state.clone(), user.clone());
        socket.on(event, move |socket: SocketRef, TryData(data): TryData<Value>| {
            let (state, user) = (state.clone(), user.clone());
            async move {
                let data = data.unwrap_or(Value::Null);
                if let Err(message) = handle(&state, user, event, &data).await {
                    let _ = socket.emit("error", &json!({ "message": message }));
                }
            }
        });
    }
}

/// A connected socket: the task that brings it the hub's frames until it disconnects, the
/// token expires or the server shuts down.
async fn connected(state: AppState, socket: SocketRef) {
    let extensions = &socket.extensions;
    let (Some(user), Some(opened), Some(gone)) =
        (extensions.get::<AuthUser>(), extensions.get::<Opened>(), extensions.get::<CancellationToken>())
    else {
        return;
    };
    let Some(mut subscription) = opened.lock().ok().and_then(|mut s| s.take()) else { return };
    let shutdown = state.shutdown.clone();
    let expiry = tokio::time::sleep(crate::api::events::until(user.expires_at));
    tokio::spawn(async move {
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                _ = gone.cancelled() => return,
                _ = shutdown.cancelled() => return,
                _ = &mut expiry => break,
                frame = subscription.frames.next() => match frame {
                    Some(frame) => {
                        let Some((event, data)) = frames::outgoing(&frame.bytes, user.id) else { continue };
                        if socket.emit(event, &data).is_err() {
                            break; // its buffer is full: a client that takes nothing
                        }
                    }
                    None => break, // the hub cut it off (too slow), or its access changed
                },
            }
        }
        // A namespace `disconnect`: the client's application connects again (with a fresh
        // token after an expiry); socket.io does not retry on its own after one.
        let _ = socket.disconnect();
    });
}

/// Does what a client's event asks, or says why not: `Access denied` for a conversation that
/// is not the user's, the core's sentence otherwise (an admin's send, a blank text, …).
async fn handle(state: &AppState, user: AuthUser, event: &str, data: &Value) -> Result<(), String> {
    let request = frames::incoming(event, data)?;
    let chat_id = request.chat_id();
    let act = if let frames::Request::Read { .. } = request { Act::MarkRead } else { Act::Write };
    let writer = Writer::admit_frame(state, user, chat_id, act).await.map_err(|e| e.to_string())?;
    crate::access::check_access(state, chat_id, &writer.0).await.map_err(|e| match e.status().as_u16() {
        403 | 404 => "Access denied".to_owned(),
        _ => reason(e),
    })?;
    match request {
        frames::Request::Send { content, .. } => {
            let message =
                SendMessage { chat_id, content, reply_to_message_id: None, attachment_ids: vec![], send_at: None };
            // A message quiet hours hold is not in the chat yet: the sender is told, and until when.
            match post_message(state, &writer, None, message).await {
                Ok(posted) => posted.later().map_or(Ok(()), Err),
                Err(e) => Err(reason(e)),
            }
        }
        frames::Request::Typing { is_typing, .. } => {
            let typing = JsonBody(Typing { is_typing });
            crate::api::presence::typing_as(State(state.clone()), writer, PathParam(chat_id), typing)
                .await
                .map(drop)
                .map_err(reason)
        }
        frames::Request::Read { ids, .. } => {
            crate::api::read_markers::mark_listed_read(state, writer, chat_id, ids).await.map(drop).map_err(reason)
        }
    }
}

/// What a client is told of an error: its sentence, or an opaque one for a failure of ours.
fn reason(e: AppError) -> String {
    if e.status().is_server_error() {
        tracing::error!(error = %e, "a socket event failed");
        return "internal server error".to_owned();
    }
    e.to_string()
}

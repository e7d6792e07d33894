//! Serving one accepted connection: HTTP/1.1 through hyper, except an event stream asked for
//! as the connection's first request, which is answered here.
//!
//! Why: hyper keeps a read buffer (grown to ~16 kB while it parses a head) and an 8 KiB write
//! buffer for the life of a connection, and an event stream lives for hours while it writes a
//! few hundred bytes a minute. Those two buffers were 24.5 of the ~31 kB of heap an idle
//! stream cost (heap profile in docs/benchmarks.md, S3). Here the head is read into a buffer
//! that is freed once it is parsed, the same router answers the request (the same handler:
//! authentication, origin check, limits, resume), and each chunk of the body is written
//! straight to the socket: an idle stream holds its socket, its task and its own state.
//!
//! Which connections: the first bytes are peeked, not consumed. A connection whose request
//! line starts `GET /api/events/chat` (then a space or `?`) is served here; every other one is
//! handed untouched to hyper, which serves it for its life (a stream asked for later on a
//! kept-alive connection is served by hyper: the same answer, only larger). nginx sends the
//! event streams through an upstream without keep-alive (`deploy/nginx.conf`), so each starts a
//! connection. An answer from here ends its connection (`connection: close`; a stream's says
//! `keep-alive`, the specification's header, and lives exactly as long): after an error,
//! or when the stream ends (shutdown, expiry, a slow consumer cut off), the client reconnects.
//!
//! Kept as hyper does: the head must arrive within `HTTP_HEADER_TIMEOUT_SECS` or the connection
//! is closed; a head hyper would refuse gets a 400 or 431 (here with a JSON `error`); a client
//! that goes away ends its stream at once (its half of the connection closes); shutdown waits
//! for these connections as for hyper's (the stream ends on the shutdown token).
//!
//! Added here, as nginx's `send_timeout`: a write the client has not taken within
//! `SSE_SEND_TIMEOUT_SECS` closes the connection. A client that stops reading without closing
//! (a frozen tab, a peer gone without a FIN, or one that does it on purpose) would otherwise
//! keep the stream's task, its state and a full socket buffer for as long as TCP keeps the
//! connection up, which with a live peer advertising a zero window is forever; the hub cuts
//! off its queue when it fills, but the task waits in the write. Such a client loses nothing:
//! when it reads again it finds the connection closed, reconnects and resumes from its last id.
//! Connections handed to hyper get the same bound from a write timeout on their socket
//! (`tokio-io-timeout`): a stream asked for on a kept-alive connection (a browser talking to a
//! replica without nginx, as in the demo), and any other answer the client stops taking. Both
//! are counted in `tutorchat_stalled_stream_disconnects_total`. (Not the same wrapper here: it
//! holds its timers in the connection for its whole life, and an idle stream answered here
//! carries a timer only while a write waits, see `send`.)

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::response::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, Uri, Version, header};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;

use crate::AppError;
use crate::peer::Peer;

/// The request line's start that this module answers (`GET /api/events/chat`, then ` ` or `?`).
const EVENT_STREAM: &[u8] = b"GET /api/events/chat";

/// What a connection's first request line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum First {
    EventStream,
    Other,
}

/// The longest request head read here: browsers send 1–2 kB with cookies.
const MAX_HEAD: usize = 16 * 1024;

/// The most request headers read here.
const MAX_HEADERS: usize = 64;

/// How long a refused request's remaining bytes are read before its connection closes.
const LINGER: Duration = Duration::from_secs(1);

/// How this replica serves its connections.
pub struct Connections {
    router: Router,
    http: http1::Builder,
    header_timeout: Duration,
    send_timeout: Duration,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Connections {
    pub fn new(
        router: Router,
        http: http1::Builder,
        (header_timeout, send_timeout): (Duration, Duration),
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Arc<Self> {
        Arc::new(Self { router, http, header_timeout, send_timeout, shutdown })
    }

    /// Serves `stream` until it closes. `watcher` lets graceful shutdown wait for it.
    pub async fn serve(self: Arc<Self>, stream: TcpStream, watcher: Watcher) {
        let deadline = Instant::now() + self.header_timeout;
        let peer = stream.peer_addr().ok().map(Peer);
        // Every step before a stream's long life is boxed, and freed when it is done: the
        // task's own future is allocated for the connection's whole life, at the size of its
        // largest step (2,160 bytes when these were inline, 600 now; measured in release).
        match Box::pin(timeout_at(deadline, first_request(&stream))).await {
            Ok(Ok(First::EventStream)) => {
                let _watching = watcher;
                metrics::counter!(crate::metrics::DIRECT_STREAMS).increment(1);
                // A client that goes away is not an error of ours.
                if let Ok(Some((mut stream, body, chunked))) = Box::pin(self.answer(stream, peer, deadline)).await {
                    let _ = pump(&mut stream, body, chunked, self.send_timeout).await;
                }
            }
            Ok(Ok(First::Other)) => {
                let service = TowerToHyperService::new(self.router.clone().map_request(
                    move |mut request: Request<hyper::body::Incoming>| {
                        if let Some(peer) = peer {
                            request.extensions_mut().insert(peer);
                        }
                        request
                    },
                ));
                // The same send timeout as below, between a write's start and the client
                // taking any of it (an answer, a download, a stream asked for on a kept-alive
                // connection): hyper has none.
                let mut stream = TimeoutStream::new(stream);
                stream.set_write_timeout(Some(self.send_timeout));
                let io = TokioIo::new(Box::pin(stream));
                // With upgrades on, so that any request may become a dialect's WebSocket (the
                // first or a later one of the connection). hyper's graceful watcher does not take
                // an upgradeable connection, so shutdown is followed here: the watcher is held
                // until the connection ends, and the token asks it to end gracefully (an
                // upgraded socket's task ends on the same token).
                let _watching = watcher;
                let mut served = Box::pin(self.http.serve_connection(io, service).with_upgrades());
                let served = tokio::select! {
                    served = served.as_mut() => served,
                    _ = self.shutdown.cancelled() => {
                        served.as_mut().graceful_shutdown();
                        served.await
                    }
                };
                if served.is_err_and(|e| timed_out(&e)) {
                    metrics::counter!(crate::metrics::STALLED_STREAMS).increment(1);
                }
            }
            // Closed, failed or silent before its request line: dropped, as hyper would.
            Ok(Err(_)) | Err(_) => {}
        }
    }

    /// Reads the head, asks the router and writes the response head. Returns the body still
    /// to write, or None when the answer is complete (a refused head) or never came (a head
    /// not sent in time: closed, as hyper's header timeout does).
    async fn answer(
        &self,
        mut stream: TcpStream,
        peer: Option<Peer>,
        deadline: Instant,
    ) -> io::Result<Option<(TcpStream, Body, bool)>> {
        let Ok(head) = timeout_at(deadline, read_head(&mut stream)).await else {
            return Ok(None);
        };
        let (response, version, refused) = match head? {
            Ok(mut request) => {
                if let Some(peer) = peer {
                    request.extensions_mut().insert(peer);
                }
                let version = request.version();
                let response = self.router.clone().oneshot(request).await.unwrap_or_else(|never| match never {});
                (response, version, false)
            }
            Err(refused) => (refused.into_response(), Version::HTTP_11, true),
        };
        let (parts, body) = response.into_parts();
        let (head, chunked) = response_head(parts, http_body::Body::size_hint(&body).exact(), version);
        send(&mut stream, &head, self.send_timeout).await?;
        if !refused {
            return Ok(Some((stream, body, chunked)));
        }
        pump(&mut stream, body, chunked, self.send_timeout).await?;
        // The rest of a refused head may still be arriving: closing with it unread would reset
        // the connection, and the client could lose the answer. Read it away first (a while).
        let mut rest = [0u8; 1024];
        let _ = tokio::time::timeout(LINGER, async { while matches!(stream.read(&mut rest).await, Ok(n) if n > 0) {} })
            .await;
        Ok(None)
    }
}

/// Waits for the request line's first bytes (without consuming them) and tells whether it
/// asks for the event stream.
async fn first_request(stream: &TcpStream) -> io::Result<First> {
    let mut seen = [0u8; EVENT_STREAM.len() + 1];
    loop {
        let n = stream.peek(&mut seen).await?;
        let seen = &seen[..n];
        match asks(seen, EVENT_STREAM) {
            Some(true) => return Ok(First::EventStream),
            Some(false) => return Ok(First::Other),
            None => {}
        }
        // A request line cut short (a byte at a time, or a slow link): peeking again at once
        // would return the same bytes, so wait a little for the rest.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether `seen`, a request's first bytes, asks for the request line `line` (then a space or
/// `?`); `None` while too few have arrived to say.
fn asks(seen: &[u8], line: &[u8]) -> Option<bool> {
    if seen.is_empty() || !seen.iter().zip(line).all(|(a, b)| a == b) {
        return Some(false);
    }
    (seen.len() > line.len()).then(|| matches!(seen[line.len()], b' ' | b'?'))
}

/// Reads the request head. `Ok(Err(answer))` for a head that cannot be served.
async fn read_head(stream: &mut TcpStream) -> io::Result<Result<Request<Body>, AppError>> {
    let mut buf = Vec::with_capacity(2048);
    loop {
        if stream.read_buf(&mut buf).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match parse(&buf) {
            Some((length, _)) if length > MAX_HEAD => break,
            Some((_, parsed)) => return Ok(parsed),
            None if buf.len() > MAX_HEAD => break,
            None => {}
        }
    }
    Ok(Err(AppError::Client(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        format!("the request head is longer than {MAX_HEAD} bytes"),
    )))
}

/// The request in `buf` and its head's length, None while the head is incomplete.
fn parse(buf: &[u8]) -> Option<(usize, Result<Request<Body>, AppError>)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut head = httparse::Request::new(&mut headers);
    let malformed = |what: String| AppError::Client(StatusCode::BAD_REQUEST, format!("malformed HTTP request: {what}"));
    match head.parse(buf) {
        Ok(httparse::Status::Partial) => None,
        Err(httparse::Error::TooManyHeaders) => Some((
            buf.len(),
            Err(AppError::Client(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("more than {MAX_HEADERS} request headers"),
            )),
        )),
        Err(e) => Some((buf.len(), Err(malformed(e.to_string())))),
        Ok(httparse::Status::Complete(length)) => Some((
            length,
            (|| {
                let uri: Uri = head.path.unwrap_or_default().parse().map_err(|_| malformed("the path".into()))?;
                let version = if head.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
                let mut map = HeaderMap::with_capacity(head.headers.len());
                for h in head.headers.iter() {
                    let name = HeaderName::from_bytes(h.name.as_bytes());
                    let value = HeaderValue::from_bytes(h.value);
                    let (Ok(name), Ok(value)) = (name, value) else {
                        return Err(malformed(format!("the header {:?}", h.name)));
                    };
                    map.append(name, value);
                }
                let mut request = Request::new(Body::empty());
                *request.uri_mut() = uri;
                *request.version_mut() = version;
                *request.headers_mut() = map;
                Ok(request)
            })(),
        )),
    }
}

/// The response head to write for `parts`, and whether the body goes in chunks (HTTP/1.0 knows
/// none: its body ends with the connection). `connection: close`, but for the event stream
/// itself, sent in chunks: `keep-alive`, the primary specification's header for it (the
/// connection lives exactly as long as the stream, and closes with it).
fn response_head(parts: Parts, length: Option<u64>, version: Version) -> (Vec<u8>, bool) {
    let stream = parts.status == StatusCode::OK
        && parts.headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == b"text/event-stream");
    let mut head = Vec::with_capacity(512);
    let reason = parts.status.canonical_reason().unwrap_or("");
    head.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", parts.status.as_str()).as_bytes());
    for (name, value) in &parts.headers {
        if [header::CONNECTION, header::TRANSFER_ENCODING, header::CONTENT_LENGTH].contains(name) {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(format!("date: {}\r\n", httpdate::fmt_http_date(SystemTime::now())).as_bytes());
    let chunked = length.is_none() && version != Version::HTTP_10;
    match length {
        Some(length) => head.extend_from_slice(format!("content-length: {length}\r\n").as_bytes()),
        None if chunked => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        None => {}
    }
    head.extend_from_slice(if stream && chunked {
        b"connection: keep-alive\r\n\r\n"
    } else {
        b"connection: close\r\n\r\n"
    });
    (head, chunked)
}

/// Writes `body` to `stream` until it ends, the client goes away or stops taking what is
/// written (`send_timeout`), then closes the connection.
async fn pump(stream: &mut TcpStream, mut body: Body, chunked: bool, send_timeout: Duration) -> io::Result<()> {
    let (mut from_client, mut to_client) = stream.split();
    let mut ignored = [0u8; 16];
    loop {
        tokio::select! {
            frame = body.frame() => match frame {
                None => break,
                Some(Err(_)) => return Ok(()), // cut without the last chunk: the client sees it
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else { continue };
                    if data.is_empty() {
                        continue;
                    }
                    if !chunked {
                        send(&mut to_client, &data, send_timeout).await?;
                        continue;
                    }
                    let mut chunk = Vec::with_capacity(data.len() + 12);
                    chunk.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                    chunk.extend_from_slice(&data);
                    chunk.extend_from_slice(b"\r\n");
                    send(&mut to_client, &chunk, send_timeout).await?;
                }
            },
            // The client closed its half (or the connection failed): the stream ends now.
            // Anything it sends meanwhile is nothing this answer reads.
            read = from_client.read(&mut ignored) => if matches!(read, Ok(0) | Err(_)) {
                return Ok(());
            },
        }
    }
    if chunked {
        send(&mut to_client, b"0\r\n\r\n", send_timeout).await?;
    }
    stream.shutdown().await
}

/// Whether hyper gave up on a connection because a write timed out.
fn timed_out(error: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::TimedOut) {
            return true;
        }
        source = e.source();
    }
    false
}

/// Writes all of `bytes`, or fails once `within` has passed without the client taking them.
/// The write and its timer are boxed: they exist only while a write waits, and the
/// connection's task (sized for its largest step, for the stream's whole life) carries a
/// pointer to them instead.
fn send<'a>(
    to: &'a mut (impl AsyncWrite + Unpin),
    bytes: &'a [u8],
    within: Duration,
) -> impl Future<Output = io::Result<()>> + 'a {
    let write = Box::pin(tokio::time::timeout(within, to.write_all(bytes)));
    async move {
        write.await.unwrap_or_else(|_| {
            metrics::counter!(crate::metrics::STALLED_STREAMS).increment(1);
            Err(io::Error::new(io::ErrorKind::TimedOut, "the client took nothing within SSE_SEND_TIMEOUT_SECS"))
        })
    }
}

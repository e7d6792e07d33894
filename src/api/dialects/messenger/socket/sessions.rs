//! Engine.IO sessions bound to the address that opened them.
//!
//! A long-polling session is named by its `sid` in every request's query, and the credential
//! travels only once, in the connect packet: so whoever knows a `sid` could go on as its
//! person (send, read their events, upgrade it to a WebSocket). Clients of this contract send
//! no cookie and no header with each request that could prove more, so a session answers only
//! to the client address that opened it (behind nginx the `X-Forwarded-For` it sets, as every
//! limit here reads it): a `sid` alone, from anywhere else, acts for nobody and gets Engine.IO's
//! own answer for a session it does not know (400 `{"code":1,"message":"Session ID unknown"}`).
//!
//! The binding is learnt from the handshake's answer (`0{"sid":…}`) and forgotten once the
//! session has made no request for [`IDLE`] (a polling client asks every `pingInterval`; one
//! upgraded to a WebSocket asks no more).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Response, StatusCode};

/// How long a binding outlives its session's last request: well past Engine.IO's ping interval
/// and timeout (25 s and 20 s), so a live polling session never loses it.
pub const IDLE: Duration = Duration::from_secs(120);

/// The longest handshake answer read to learn its `sid` (Engine.IO's is ~120 bytes).
const HANDSHAKE_MAX: usize = 4096;

/// Which address opened each polling session of this replica.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_sid: HashMap<String, (IpAddr, Instant)>,
    swept: Option<Instant>,
}

impl Sessions {
    /// Whether session `sid` may be used from `address` (and, if so, it was used now).
    pub fn admits(&self, sid: &str, address: IpAddr) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match inner.by_sid.get_mut(sid) {
            Some((opener, used)) if *opener == address => {
                *used = Instant::now();
                true
            }
            _ => false,
        }
    }

    /// Learns the session a handshake's answer opened for `address`, and gives the answer back
    /// as it was.
    pub async fn learn(&self, response: Response<Body>, address: IpAddr) -> Response<Body> {
        if response.status() != StatusCode::OK {
            return response;
        }
        let (parts, body) = response.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, HANDSHAKE_MAX).await else {
            return Response::from_parts(parts, Body::empty());
        };
        if let Some(sid) = handshake_sid(&bytes) {
            self.bind(sid, address);
        }
        Response::from_parts(parts, Body::from(bytes))
    }

    fn bind(&self, sid: String, address: IpAddr) {
        let now = Instant::now();
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forgotten sessions are swept now and then, never more than the live ones are kept.
        if inner.swept.is_none_or(|at| now.duration_since(at) > IDLE / 4) {
            inner.by_sid.retain(|_, (_, used)| now.duration_since(*used) < IDLE);
            inner.swept = Some(now);
        }
        inner.by_sid.insert(sid, (address, now));
    }
}

/// The `sid` of an Engine.IO handshake's open packet (`0{"sid":"…",…}`), if the body is one.
fn handshake_sid(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Open {
        sid: String,
    }
    let json = body.strip_prefix(b"0")?;
    serde_json::from_slice::<Open>(json).ok().map(|open| open.sid)
}

/// Engine.IO's answer for a session it does not know, as its clients expect it.
pub fn unknown_session() -> Response<Body> {
    let body = serde_json::json!({ "code": 1, "message": "Session ID unknown" }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response.headers_mut().insert(axum::http::header::CONTENT_TYPE, "application/json".parse().expect("a header"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshakes_sid_is_read_from_its_open_packet_and_nothing_else_is() {
        let open = br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        assert_eq!(handshake_sid(open).as_deref(), Some("lv_VI97HAXpY6yYWAAAC"));
        assert_eq!(handshake_sid(br#"40{"sid":"x"}"#), None, "a connect packet is no handshake");
        assert_eq!(handshake_sid(b"0not json"), None);
    }

    #[test]
    fn a_session_answers_only_to_the_address_that_opened_it() {
        let sessions = Sessions::default();
        let own = IpAddr::from([198, 51, 100, 1]);
        let other = IpAddr::from([203, 0, 113, 9]);
        sessions.bind("s1".into(), own);
        assert!(sessions.admits("s1", own));
        assert!(!sessions.admits("s1", other));
        assert!(!sessions.admits("s2", own), "a session never learnt");
    }
}

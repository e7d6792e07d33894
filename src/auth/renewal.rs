//! Sessions that renew themselves while the device is used. A session this server starts (the
//! dev login, a sign-in with the school's account) is a row of `sessions` (V69) and two cookies:
//! the access token (a JWT, `SESSION_TTL_SECS` or `DEV_TOKEN_TTL_SECS`, as before) and a refresh
//! credential, `<sid>.<secret>`, HttpOnly, `SameSite=Strict` (`__Host-` over HTTPS). When the
//! token runs out the web app calls `POST /api/sessions/refresh`: the secret is rotated (only its
//! SHA-256 is kept) and a new token is minted with the same `sid`, so that signing the session
//! out (`revoked`) refuses every token it ever had. No token outlives `ends_at`,
//! `SESSION_MAX_AGE_SECS` after the sign-in.
//!
//! Rotation with reuse detection, rather than a sliding token: a copied refresh cookie is found
//! out the first time both copies are used (the second brings a secret rotated away), and the
//! session ends on every replica. The previous secret is still taken for [`RACE`] after a
//! rotation, for two tabs whose tokens ran out together: the late one gets a token and no new
//! secret (the browser holds the newer one already).

use std::net::IpAddr;
use std::time::Duration;

use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest;

use super::AuthState;
use crate::error::Code;
use crate::{AppError, Result};

/// How long after a rotation the previous refresh secret is still taken (two tabs renewing at
/// once).
pub const RACE: Duration = Duration::from_secs(30);

/// The refresh credential's cookie: over HTTPS `__Host-tutorchat_refresh`, which no other site
/// of the school's domain can set (it would sign the person into a session of its choosing).
pub const REFRESH_COOKIE: &str = "tutorchat_refresh";

/// The refresh cookie's name over HTTPS (`secure`) or plain HTTP.
pub fn refresh_cookie_name(secure: bool) -> String {
    super::cookie_name(REFRESH_COOKIE, secure)
}

/// The refresh cookie holding `value`, kept `ttl` (zero: a removal).
pub fn refresh_cookie(value: String, secure: bool, ttl: Duration) -> Cookie<'static> {
    Cookie::build((refresh_cookie_name(secure), value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure)
        .max_age(time::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)))
        .build()
}

/// What removes the refresh cookie.
pub fn cleared_refresh_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = refresh_cookie(String::new(), secure, Duration::ZERO);
    cookie.make_removal();
    cookie
}

/// The device a request comes from, as "your devices" shows it: its browser and system (from
/// `User-Agent`, which is not kept itself) and its address (behind `TRUSTED_PROXIES`).
#[derive(Debug, Clone)]
pub struct Device {
    pub label: String,
    pub address: Option<IpAddr>,
}

impl Device {
    /// The device of a request with these headers, from peer `peer`.
    pub fn of(headers: &axum::http::HeaderMap, peer: Option<IpAddr>, state: &AuthState) -> Self {
        let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let label = Self::label(agent);
        let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let address =
            peer.map(|p| crate::peer::client_address(p.to_canonical(), forwarded, &state.config.http.trusted_proxies));
        Self { label, address }
    }
}

impl Device {
    /// What a `User-Agent` names: `browser · system`, the browser alone, or `unknown device`.
    pub fn label(agent: &str) -> String {
        let known = |v: &str| v != woothee::woothee::VALUE_UNKNOWN;
        let label = match woothee::parser::Parser::new().parse(agent) {
            Some(ua) if known(ua.name) && known(ua.os) => format!("{} · {}", ua.name, ua.os),
            Some(ua) if known(ua.name) => ua.name.to_owned(),
            _ => "unknown device".to_owned(),
        };
        label.chars().take(120).collect()
    }
}

/// A token for a session, and what the browser keeps it as.
pub struct Issued {
    pub token: String,
    /// The token's `exp` (Unix seconds).
    pub expires_at: u64,
    /// Its lifetime from now, for its cookie.
    pub ttl: Duration,
    /// The new refresh credential and how long its cookie is kept (None: the browser keeps the
    /// one it has).
    pub refresh: Option<(String, Duration)>,
}

/// `jar` with the cookies of a session's new token and, if there is one, its new refresh
/// credential.
pub fn set_cookies(
    jar: axum_extra::extract::CookieJar,
    state: &AuthState,
    issued: Issued,
    secure: bool,
) -> axum_extra::extract::CookieJar {
    let jar = jar.add(super::credential_cookie(&state.config.auth.cookie_name, issued.token, secure, "/", issued.ttl));
    match issued.refresh {
        Some((refresh, lasts)) => jar.add(refresh_cookie(refresh, secure, lasts)),
        None => jar,
    }
}

fn new_secret() -> (String, Vec<u8>) {
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hash = sha2::Sha256::digest(secret.as_bytes()).to_vec();
    (secret, hash)
}

/// Unix seconds as a time (the epoch for one out of range, as an expired session is).
pub fn at(unix: u64) -> time::OffsetDateTime {
    i64::try_from(unix)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Starts a session of `user` on `device`, its tokens lasting `ttl` each (`via`: how it began).
pub async fn start(state: &AuthState, user: i64, via: Option<&str>, ttl: Duration, device: &Device) -> Result<Issued> {
    let sid = super::revoked::new_sid();
    let (secret, hash) = new_secret();
    // Never shorter than one token: the first one is whole.
    let lasts = state.config.auth.session_max_age.max(ttl);
    let (renew_every, lasts_secs) = (ttl.as_secs_f64(), lasts.as_secs_f64());
    let client = state.db.get().await?;
    client
        .execute(
            "WITH gone AS (DELETE FROM sessions WHERE coalesce(ended_at, ends_at) < now() - interval '1 day')
             INSERT INTO sessions (sid, user_id, via, ends_at, renew_every, device, address, refresh_hash)
             VALUES ($1, $2, $3, now() + make_interval(secs => $4), make_interval(secs => $5), $6, $7, $8)",
            &[&sid, &user, &via, &lasts_secs, &renew_every, &device.label, &device.address, &hash],
        )
        .await?;
    let expires_at = now() + ttl.as_secs();
    let token = state.keys.mint_session(user, expires_at, via, &sid)?;
    Ok(Issued { token, expires_at, ttl, refresh: Some((format!("{sid}.{secret}"), lasts)) })
}

fn ended(message: &str) -> AppError {
    AppError::Unauthorized(format!("{message}: sign in again")).with_code(Code::SessionEnded)
}

/// Renews the session whose refresh credential is `presented`, from `device`.
pub async fn renew(state: &AuthState, presented: &str, device: &Device) -> Result<Issued> {
    let Some((sid, secret)) = presented.split_once('.') else {
        return Err(ended("the refresh credential is malformed"));
    };
    let hash = sha2::Sha256::digest(secret.as_bytes()).to_vec();
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT s.user_id, s.via, extract(epoch FROM s.renew_every)::bigint AS renew_every,
                    floor(extract(epoch FROM s.ends_at))::bigint AS ends_at, s.ends_at <= now() AS over,
                    s.ended_at IS NOT NULL AS ended,
                    s.refresh_hash = $2 AS current,
                    s.previous_hash = $2 AND s.rotated_at > now() - make_interval(secs => $3) AS raced,
                    u.deactivated_at IS NOT NULL AS deactivated
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.sid = $1
             FOR UPDATE OF s",
            &[&sid, &hash, &RACE.as_secs_f64()],
        )
        .await?
        .ok_or_else(|| ended("this session is not known (signed out, or too old)"))?;
    let (user, via): (i64, Option<String>) = (row.get("user_id"), row.get("via"));
    let ends_at = u64::try_from(row.get::<_, i64>("ends_at")).unwrap_or_default();
    let renew_every = u64::try_from(row.get::<_, i64>("renew_every")).unwrap_or_default();
    if row.get("deactivated") {
        return Err(AppError::Unauthorized("this account has been deactivated: it can no longer sign in".into())
            .with_code(Code::AccountDeactivated));
    }
    if row.get("ended") {
        return Err(ended("this session has been signed out"));
    }
    if row.get("over") {
        return Err(ended("this session has reached the longest a device stays signed in (SESSION_MAX_AGE_SECS)"));
    }
    let refresh = if row.get("current") {
        let (secret, hash) = new_secret();
        tx.execute(
            "UPDATE sessions SET previous_hash = refresh_hash, refresh_hash = $2, rotated_at = now(),
                                 last_used_at = now(), device = $3, address = $4
             WHERE sid = $1",
            &[&sid, &hash, &device.label, &device.address],
        )
        .await?;
        Some((format!("{sid}.{secret}"), Duration::from_secs(ends_at.saturating_sub(now()))))
    } else if row.get::<_, Option<bool>>("raced").unwrap_or(false) {
        None
    } else {
        // A secret rotated away came back: two holders of one credential. The session ends
        // for both (the rightful one signs in again).
        let gone = end_in(&tx, Ending::Session(sid), "refresh_reused").await?;
        tx.commit().await?;
        for (sid, until) in gone {
            state.revoked.insert(sid, until);
        }
        tracing::warn!(user_id = user, "a refresh credential was used again after its rotation: the session is ended");
        return Err(ended("this session's refresh credential was used twice, so it has been ended on every device"));
    };
    tx.commit().await?;
    let expires_at = (now() + renew_every).min(ends_at);
    let token = state.keys.mint_session(user, expires_at, via.as_deref(), sid)?;
    Ok(Issued { token, expires_at, ttl: Duration::from_secs(expires_at.saturating_sub(now())), refresh })
}

/// Which live sessions to end: one (by its id, of anyone, or only if it is `user`'s), or all of
/// a person's.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    Session(&'a str),
    Own { user: i64, sid: &'a str },
    AllOf(i64),
}

/// Ends `which` sessions for reason `why` (`sessions.ended_why`): each is revoked on every replica
/// (its tokens refused, its streams ended) and here at once. Answers the ended ones' ids.
pub async fn end(state: &AuthState, which: Ending<'_>, why: &str) -> Result<Vec<String>> {
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    let ended = end_in(&tx, which, why).await?;
    tx.commit().await?;
    for (sid, until) in &ended {
        state.revoked.insert(sid.clone(), *until);
    }
    Ok(ended.into_iter().map(|(sid, _)| sid).collect())
}

/// [`end`], inside `tx`; answers each ended session with when its last token expires at the
/// latest (Unix seconds), which is how long the replicas refuse its id.
async fn end_in(tx: &deadpool_postgres::Transaction<'_>, which: Ending<'_>, why: &str) -> Result<Vec<(String, u64)>> {
    let (sid, user) = match which {
        Ending::Session(sid) => (Some(sid), None),
        Ending::Own { user, sid } => (Some(sid), Some(user)),
        Ending::AllOf(user) => (None, Some(user)),
    };
    let rows = tx
        .query(
            "WITH ended AS (
                 UPDATE sessions SET ended_at = now(), ended_why = $3
                 WHERE ended_at IS NULL AND ($1::text IS NULL OR sid = $1) AND ($2::bigint IS NULL OR user_id = $2)
                   AND num_nonnulls($1, $2) > 0
                 RETURNING sid, least(ends_at, now() + renew_every + interval '1 minute') AS until)
             SELECT e.sid, extract(epoch FROM e.until)::bigint FROM ended e CROSS JOIN LATERAL session_revoke(e.sid, e.until)",
            &[&sid, &user, &why],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), u64::try_from(r.get::<_, i64>(1)).unwrap_or_default())).collect())
}

/// The session a refresh credential names, if the credential is its current or previous one
/// (signing out with it: a guess of an id ends nothing).
pub async fn session_of(state: &AuthState, presented: &str) -> Result<Option<String>> {
    let Some((sid, secret)) = presented.split_once('.') else { return Ok(None) };
    let hash = sha2::Sha256::digest(secret.as_bytes()).to_vec();
    let row = state
        .db
        .get()
        .await?
        .query_opt(
            "SELECT sid FROM sessions WHERE sid = $1 AND (refresh_hash = $2 OR previous_hash = $2)",
            &[&sid, &hash],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

#[cfg(test)]
mod tests {
    use super::Device;

    #[test]
    fn a_device_is_named_by_its_browser_and_system() {
        let cases = [
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome · Android",
            ),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox · Linux"),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari · iPhone",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
                "Chrome · Linux",
            ),
            ("curl/8.5.0", "HTTP Library"),
            ("", "unknown device"),
        ];
        for (agent, label) in cases {
            assert_eq!(Device::label(agent), label, "{agent}");
        }
    }
}

//! Cross-site request protection for cookie-authenticated writes and WebSocket handshakes. The
//! cookie is SameSite=Lax; on top of that a write or an upgrade must come from the chat's own
//! origin (the `Host` it was sent to) or one of `ALLOWED_ORIGINS`, and so must a read that
//! records something ([`check_navigation`]).
//! Bearer clients are not affected: a browser never attaches a Bearer header on its own.

use axum::http::{HeaderMap, header};

use crate::AppError;
use crate::error::Code;

/// `scheme://host[:port]` of a Referer URL.
fn origin_of_referer(referer: &str) -> Option<&str> {
    let after_scheme = referer.find("://")? + 3;
    let end = referer[after_scheme..].find('/').map_or(referer.len(), |i| after_scheme + i);
    Some(&referer[..end])
}

/// The scheme the browser used: `X-Forwarded-Proto` from the proxy in front (nginx sets it),
/// else plain HTTP (the replicas themselves serve no TLS).
pub fn request_scheme(headers: &HeaderMap) -> &str {
    match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()) {
        Some(proto) if proto.trim().eq_ignore_ascii_case("https") => "https",
        _ => "http",
    }
}

/// For a cookie-authenticated GET that records something (an export's `chat_exported`): refused
/// when another site made the browser send it, a link or an image there (`SameSite=Lax` sends
/// the cookie on a top-level navigation). The browser says so in `Sec-Fetch-Site`; one that
/// does not is judged by its `Referer`. Neither (a typed address, a program): let through.
pub fn check_navigation(headers: &HeaderMap, allowed: &[String]) -> Result<(), AppError> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    match site {
        Some(site) if !site.eq_ignore_ascii_case("cross-site") => Ok(()),
        Some(_) if headers.contains_key(header::ORIGIN) => check(headers, allowed),
        Some(_) => Err(AppError::Forbidden(
            "cross-site request refused: another site's page cannot make this request with your cookie".into(),
        )
        .with_code(Code::CrossSiteRequest)),
        None if headers.contains_key(header::REFERER) || headers.contains_key(header::ORIGIN) => {
            check(headers, allowed)
        }
        None => Ok(()),
    }
}

pub fn check(headers: &HeaderMap, allowed: &[String]) -> Result<(), AppError> {
    let header_str = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = header_str(header::ORIGIN)
        .filter(|o| *o != "null")
        .or_else(|| header_str(header::REFERER).and_then(origin_of_referer));
    let Some(origin) = origin else {
        return Err(AppError::Forbidden(
            "cookie-authenticated writes need an Origin or Referer header (cross-site request protection)".into(),
        )
        .with_code(Code::CrossSiteRequest));
    };
    // The chat's own origin (the scheme too, so that a page served over plain HTTP cannot
    // write to the HTTPS site with its cookie), or one of ALLOWED_ORIGINS.
    let host = header_str(header::HOST).unwrap_or_default();
    let scheme = request_scheme(headers);
    let own = origin
        .split_once("://")
        .is_some_and(|(s, authority)| s.eq_ignore_ascii_case(scheme) && authority.eq_ignore_ascii_case(host));
    let ok = own || allowed.iter().any(|a| a.eq_ignore_ascii_case(origin));
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "cross-site request refused: origin {origin} is not allowed (ALLOWED_ORIGINS)"
        ))
        .with_code(Code::CrossSiteRequest))
    }
}

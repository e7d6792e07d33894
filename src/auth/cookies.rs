//! The cookies that carry credentials: their names, and how every one this server sets is made.

/// The name a credential's cookie `base` has: over HTTPS `__Host-base`, which a browser keeps
/// only if it is `Secure`, for `Path=/` and without a `Domain`, so that no other site of the
/// school's domain (an LMS at a sibling subdomain) can set or replace it; over plain HTTP (a
/// demo on one machine) `base` itself. Over HTTPS the server reads only the prefixed one.
pub fn cookie_name(base: &str, secure: bool) -> String {
    if secure { format!("__Host-{base}") } else { base.to_owned() }
}

/// A credential's cookie, as every one this server sets is: HttpOnly, `SameSite=Lax`, kept
/// `ttl`; over HTTPS `Secure`, named `__Host-…` and for the whole site ([`cookie_name`]), over
/// plain HTTP for `path`.
pub fn credential_cookie(
    base: &str,
    value: String,
    secure: bool,
    path: &str,
    ttl: std::time::Duration,
) -> axum_extra::extract::cookie::Cookie<'static> {
    axum_extra::extract::cookie::Cookie::build((cookie_name(base, secure), value))
        .http_only(true)
        .same_site(axum_extra::extract::cookie::SameSite::Lax)
        .path(if secure { "/".to_owned() } else { path.to_owned() })
        .secure(secure)
        .max_age(time::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)))
        .build()
}

/// What clears a cookie [`credential_cookie`] set (a removal must match its name and path,
/// and a `__Host-` one must be `Secure` too).
pub fn cleared_cookie(base: &str, secure: bool, path: &str) -> axum_extra::extract::cookie::Cookie<'static> {
    let mut cookie = credential_cookie(base, String::new(), secure, path, std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}

/// The cookie that carries a guest's credential (see `api::inquiries`): a cookie of its own, so
/// that a guest's tab and a signed-in tab of the same browser never overwrite each other.
pub const GUEST_COOKIE: &str = "tutorchat_guest";

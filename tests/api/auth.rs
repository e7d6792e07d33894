//! Token validation, roles from the database, cookie auth and cross-site protection.

use jsonwebtoken::Algorithm;
use serde_json::json;

use crate::helpers::{SECRET, TestApp, now, sign, status_and_json};

async fn chats_status(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    status_and_json(app.http.get(app.url("/api/chats")).bearer_auth(token).send().await.expect("send")).await
}

#[tokio::test]
async fn only_valid_hs256_tokens_of_existing_users_are_accepted() {
    let app = TestApp::spawn().await;
    let student = app.user("student", "S").await;
    let sub = student.id.to_string();
    assert_eq!(chats_status(&app, &student.token).await.0, 200);

    let header_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
    let payload = base64_url(&json!({ "sub": sub, "exp": now() + 600 }).to_string());
    let cases: Vec<(&str, String)> = vec![
        ("expired", sign(&json!({ "sub": sub, "exp": now() - 60 }), SECRET, Algorithm::HS256)),
        (
            "wrong secret",
            sign(
                &json!({ "sub": sub, "exp": now() + 600 }),
                "another-secret-another-secret-another!",
                Algorithm::HS256,
            ),
        ),
        ("HS512", sign(&json!({ "sub": sub, "exp": now() + 600 }), SECRET, Algorithm::HS512)),
        ("alg none", format!("{header_none}.{payload}.")),
        ("no exp", sign(&json!({ "sub": sub }), SECRET, Algorithm::HS256)),
        ("no sub", sign(&json!({ "exp": now() + 600 }), SECRET, Algorithm::HS256)),
        ("numeric sub", sign(&json!({ "sub": student.id, "exp": now() + 600 }), SECRET, Algorithm::HS256)),
        ("sub not an id", sign(&json!({ "sub": "alice", "exp": now() + 600 }), SECRET, Algorithm::HS256)),
        ("unknown user", sign(&json!({ "sub": "999999", "exp": now() + 600 }), SECRET, Algorithm::HS256)),
        (
            "not yet valid",
            sign(&json!({ "sub": sub, "exp": now() + 600, "nbf": now() + 300 }), SECRET, Algorithm::HS256),
        ),
        ("garbage", "not-a-token".into()),
        ("empty signature", format!("{}.", student.token.rsplit_once('.').expect("jwt").0)),
    ];
    for (name, token) in cases {
        let (status, body) = chats_status(&app, &token).await;
        assert_eq!(status, 401, "{name}: {body}");
    }
    let no_token = app.http.get(app.url("/api/chats")).send().await.expect("send");
    assert_eq!(status_and_json(no_token).await.0, 401);
    let basic = app.http.get(app.url("/api/chats")).header("authorization", "Basic abc").send().await.expect("send");
    assert_eq!(status_and_json(basic).await.0, 401);
}

fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn a_role_claim_cannot_raise_rights() {
    let app = TestApp::spawn().await;
    let student = app.user("student", "S").await;
    let token =
        sign(&json!({ "sub": student.id.to_string(), "exp": now() + 600, "role": "admin" }), SECRET, Algorithm::HS256);
    let response = app.http.get(app.url("/api/admin/chats")).bearer_auth(token).send().await.expect("send");
    assert_eq!(status_and_json(response).await.0, 403);
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let app = TestApp::spawn_with(|c| {
        c.auth.jwt.issuer = Some("school".into());
        c.auth.jwt.audience = Some("tutorchat".into());
    })
    .await;
    let student = app.user("student", "S").await;
    let sub = student.id.to_string();
    let good =
        sign(&json!({ "sub": sub, "exp": now() + 600, "iss": "school", "aud": "tutorchat" }), SECRET, Algorithm::HS256);
    assert_eq!(chats_status(&app, &good).await.0, 200);
    for claims in [
        json!({ "sub": sub, "exp": now() + 600, "iss": "evil", "aud": "tutorchat" }),
        json!({ "sub": sub, "exp": now() + 600, "iss": "school", "aud": "other" }),
        json!({ "sub": sub, "exp": now() + 600 }),
    ] {
        let (status, body) = chats_status(&app, &sign(&claims, SECRET, Algorithm::HS256)).await;
        assert_eq!(status, 401, "{claims}: {body}");
    }
}

#[tokio::test]
async fn dev_login_sets_an_http_only_cookie_that_authenticates() {
    let app = TestApp::spawn().await;
    let student = app.user("student", "Маша").await;
    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&student.id]).await.expect("q").get(0);
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");

    let unknown =
        client.post(app.url("/api/dev/login")).json(&json!({ "email": "nobody@x" })).send().await.expect("send");
    assert_eq!(status_and_json(unknown).await.0, 404);
    let login = client.post(app.url("/api/dev/login")).json(&json!({ "email": email })).send().await.expect("send");
    let cookie = crate::helpers::set_cookie(&login, "access_token").unwrap_or_default();
    assert!(
        cookie.starts_with("access_token=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let (status, body) = status_and_json(login).await;
    assert_eq!((status, body["user"]["name"].as_str()), (200, Some("Маша")));

    let me = client.get(app.url("/api/me")).send().await.expect("send");
    let (status, body) = status_and_json(me).await;
    assert_eq!((status, body["user"]["id"].as_i64()), (200, Some(student.id)));

    // Logging out is a cookie-authenticated write too: a cross-site page cannot do it.
    let forged =
        client.post(app.url("/api/logout")).header("origin", "http://evil.example").send().await.expect("send");
    assert_eq!(status_and_json(forged).await.0, 403);
    assert_eq!(client.get(app.url("/api/me")).send().await.expect("send").status(), 200, "still signed in");
    let logout = client
        .post(app.url("/api/logout"))
        .header("origin", format!("http://{}", app.addr))
        .send()
        .await
        .expect("send");
    assert_eq!(logout.status(), 204);
    assert_eq!(client.get(app.url("/api/me")).send().await.expect("send").status(), 401);
}

#[tokio::test]
async fn dev_login_is_refused_unless_enabled() {
    let app = TestApp::spawn_with(|c| c.auth.dev_login = false).await;
    let login = app.http.post(app.url("/api/dev/login")).json(&json!({ "email": "a@b" })).send().await.expect("send");
    assert_eq!(status_and_json(login).await.0, 403);
    let users = app.http.get(app.url("/api/dev/users")).send().await.expect("send");
    assert_eq!(status_and_json(users).await.0, 403);
}

#[tokio::test]
async fn cookie_writes_need_an_allowed_origin_and_bearer_writes_do_not() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let cookie = format!("access_token={}", student.token);
    let host = app.addr.to_string();
    let post = |origin: Option<&str>, referer: Option<&str>| {
        let mut request = app
            .http
            .post(app.url("/api/messages"))
            .header("cookie", &cookie)
            .json(&json!({ "chat_id": chat, "content": "hi" }));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        request.send()
    };
    assert_eq!(status_and_json(post(None, None).await.expect("send")).await.0, 403);
    assert_eq!(status_and_json(post(Some("http://evil.example"), None).await.expect("send")).await.0, 403);
    assert_eq!(status_and_json(post(Some("null"), None).await.expect("send")).await.0, 403);
    assert_eq!(status_and_json(post(None, Some("http://evil.example/page")).await.expect("send")).await.0, 403);
    assert_eq!(status_and_json(post(Some(&format!("http://{host}")), None).await.expect("send")).await.0, 201);
    assert_eq!(status_and_json(post(None, Some(&format!("http://{host}/chat/1"))).await.expect("send")).await.0, 201);
    // Reading with the cookie needs no Origin.
    let read = app.http.get(app.url("/api/chats")).header("cookie", &cookie).send().await.expect("send");
    assert_eq!(status_and_json(read).await.0, 200);
    // A Bearer client is not a browser riding on ambient credentials.
    let bearer = app
        .http
        .post(app.url("/api/messages"))
        .bearer_auth(&student.token)
        .json(&json!({ "chat_id": chat, "content": "hi" }));
    assert_eq!(bearer.send().await.expect("send").status(), 201);
}

#[tokio::test]
async fn allowed_origins_may_write_besides_the_chat_s_own() {
    let app = TestApp::spawn_with(|c| c.auth.allowed_origins = vec!["https://chat.school.example".into()]).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let post = |origin: String| {
        app.http
            .post(app.url("/api/messages"))
            .header("cookie", format!("access_token={}", student.token))
            .header("origin", origin)
            .json(&json!({ "chat_id": chat, "content": "hi" }))
            .send()
    };
    assert_eq!(post("https://chat.school.example".into()).await.expect("send").status(), 201);
    assert_eq!(post(format!("http://{}", app.addr)).await.expect("send").status(), 201);
    assert_eq!(post("https://school.example".into()).await.expect("send").status(), 403);
}

#[test]
fn a_short_secret_is_refused() {
    let error =
        tutorchat::config::JwtConfig::new(tutorchat::config::Secret::new("x".repeat(31))).expect_err("too short");
    assert_eq!(error.var, "JWT_SECRET");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let student = app.user("student", "S").await;
    for response in [
        app.http.get(app.url("/healthz")).send().await.expect("send"),
        app.get("/api/chats", &student).send().await.expect("send"),
        app.http.get(app.url("/api/nothing-here")).send().await.expect("send"),
    ] {
        let headers = response.headers();
        let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp:?}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "no inline scripts: {csp:?}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["referrer-policy"], "same-origin");
    }
}

#[tokio::test]
async fn behind_https_the_origin_must_be_https_too_and_the_cookie_is_secure() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let host = app.addr.to_string();
    let post = |origin: String| {
        app.http
            .post(app.url("/api/messages"))
            .header("cookie", format!("__Host-access_token={}", student.token))
            .header("x-forwarded-proto", "https")
            .header("origin", origin)
            .json(&json!({ "chat_id": chat, "content": "hi" }))
            .send()
    };
    assert_eq!(status_and_json(post(format!("http://{host}")).await.expect("send")).await.0, 403, "a plain-HTTP page");
    assert_eq!(status_and_json(post(format!("https://{host}")).await.expect("send")).await.0, 201);

    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&student.id]).await.expect("q").get(0);
    let login = |proto: &'static str| {
        app.http
            .post(app.url("/api/dev/login"))
            .header("x-forwarded-proto", proto)
            .json(&json!({ "email": email }))
            .send()
    };
    let cookie = |r: &reqwest::Response| crate::helpers::set_cookie(r, "access_token").expect("the session's cookie");
    assert!(cookie(&login("https").await.expect("send")).contains("Secure"), "over HTTPS the cookie is Secure");
    assert!(!cookie(&login("http").await.expect("send")).contains("Secure"), "plain HTTP (the demo) keeps working");
}

/// A replica reads the users it serves in one query every half `USER_CACHE_SECS`, so an active
/// user's cached entry is refreshed before it expires (no query of their own), and a change
/// reaches requests within half the period, not only once an entry expires. A deleted user is
/// refused by the same refresh.
#[tokio::test]
async fn the_users_a_replica_serves_are_refreshed_together_before_their_entries_expire() {
    let app = TestApp::spawn_with(|c| c.auth.user_cache = std::time::Duration::from_secs(4)).await;
    let (teacher, gone) = (app.user("teacher", "Before").await, app.user("student", "Gone").await);
    let me = |user: &crate::helpers::User| app.get("/api/me", user).send();
    let (status, body) = status_and_json(me(&teacher).await.expect("GET /api/me")).await;
    assert_eq!((status, body["user"]["name"].as_str()), (200, Some("Before")));
    assert_eq!(me(&gone).await.expect("GET /api/me").status(), 200);

    app.sql.execute("UPDATE users SET name = 'After' WHERE id = $1", &[&teacher.id]).await.expect("rename");
    app.sql.execute("DELETE FROM users WHERE id = $1", &[&gone.id]).await.expect("delete");
    // A refresh runs every 2 s; keep both entries in use meanwhile. Their own entries, read
    // just before the change, would be trusted for 4 s.
    let renamed = std::time::Instant::now();
    loop {
        let (_, body) = status_and_json(me(&teacher).await.expect("GET /api/me")).await;
        let refused = me(&gone).await.expect("GET /api/me").status() == 401;
        if body["user"]["name"] == "After" && refused {
            break;
        }
        assert!(renamed.elapsed() < std::time::Duration::from_millis(3500), "not refreshed within half the period");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

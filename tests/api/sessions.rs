//! Sessions this server starts end when their person signs out, on every replica at once, open
//! streams included; over HTTPS their cookies are `__Host-` cookies, which no other site of the
//! school's domain can set (security review L6).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Item, TestApp, User, set_cookie, status_and_json};

/// Signs `user` in with the dev login; answers the `Set-Cookie` header and the token in it.
async fn sign_in(app: &TestApp, user: &User, proto: &str) -> (String, String) {
    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&user.id]).await.expect("email").get(0);
    let login = app
        .fresh
        .post(app.url("/api/dev/login"))
        .header("x-forwarded-proto", proto)
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("POST /api/dev/login");
    assert_eq!(login.status(), 200);
    let set_cookie = set_cookie(&login, "access_token").expect("the session's cookie");
    let token = set_cookie.split(';').next().and_then(|pair| pair.split_once('=')).expect("name=value").1.to_owned();
    (set_cookie, token)
}

async fn me(app: &TestApp, cookie: &str, proto: &str) -> (u16, serde_json::Value) {
    let request = app.fresh.get(app.url("/api/me")).header("cookie", cookie).header("x-forwarded-proto", proto);
    status_and_json(request.send().await.expect("GET /api/me")).await
}

#[tokio::test]
async fn signing_out_ends_the_session_on_every_replica_at_once_and_its_streams() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    a.chat(&teacher, &student).await;
    let (_, token) = sign_in(&a, &student, "http").await;
    let cookie = format!("access_token={token}");
    let copy = User { id: student.id, token: token.clone() };
    let mut stream = b.stream(&copy, None).await; // the same session, as a Bearer token, elsewhere
    assert_eq!(me(&b, &cookie, "http").await.0, 200);

    let logout = a
        .fresh
        .post(a.url("/api/logout"))
        .header("cookie", &cookie)
        .header("origin", format!("http://{}", a.addr))
        .send()
        .await
        .expect("POST /api/logout");
    assert_eq!(logout.status(), 204);

    let (status, body) = me(&a, &cookie, "http").await;
    assert_eq!((status, body["code"].as_str()), (401, Some("session_ended")), "where it signed out: {body}");
    // Elsewhere as soon as its listener hears it (a notification: no period to wait out).
    let mut refused = me(&b, &cookie, "http").await;
    for _ in 0..200 {
        if refused.0 == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        refused = me(&b, &cookie, "http").await;
    }
    assert_eq!((refused.0, refused.1["code"].as_str()), (401, Some("session_ended")), "{}", refused.1);
    loop {
        match stream.item(Duration::from_secs(10)).await {
            None => break, // the stream ended
            Some(Item::Event(e)) if e.event != "presence" && e.event != "chat_created" => panic!("{e:?}"),
            Some(_) => {}
        }
    }
    let reopened = b.fresh.get(b.url("/api/events/chat")).bearer_auth(&token).send().await.expect("GET stream");
    assert_eq!(reopened.status(), 401, "the stream's client reconnects and is refused");

    // A replica that starts later knows it from the database.
    let c = a.replica().await;
    assert_eq!(me(&c, &cookie, "http").await.0, 401);
    // Another session of the same person is not touched.
    let (_, other) = sign_in(&a, &student, "http").await;
    assert_eq!(me(&b, &format!("access_token={other}"), "http").await.0, 200);
}

#[tokio::test]
async fn over_https_the_cookies_are_host_cookies_and_an_unprefixed_one_is_ignored() {
    let a = TestApp::spawn().await;
    let student = a.user("student", "Student").await;

    let (set_cookie, token) = sign_in(&a, &student, "https").await;
    assert!(set_cookie.starts_with("__Host-access_token="), "{set_cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.split("; ").any(|p| p == part), "{part} in {set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
    assert_eq!(me(&a, &format!("__Host-access_token={token}"), "https").await.0, 200);
    // One a sibling subdomain could have set (no prefix) is not read over HTTPS.
    assert_eq!(me(&a, &format!("access_token={token}"), "https").await.0, 401);

    // Plain HTTP (the demo on one machine) keeps the plain name.
    let (set_cookie, token) = sign_in(&a, &student, "http").await;
    assert!(set_cookie.starts_with("access_token=") && !set_cookie.contains("Secure"), "{set_cookie}");
    assert_eq!(me(&a, &format!("access_token={token}"), "http").await.0, 200);
}

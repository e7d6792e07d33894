//! Sessions that stay signed in while the device is used: a token that ran out is renewed with
//! the refresh cookie (rotated each time) on any replica, and the stream resumes from its cursor;
//! a refresh credential used twice ends its session everywhere; "your devices" lists a person's
//! sessions and signs one or all of them out; nothing renews past `SESSION_MAX_AGE_SECS`, after
//! a deactivation or a sign-out.

use std::time::Duration;

use serde_json::{Value, json};

use crate::departures::deactivate;
use crate::helpers::{Item, TestApp, User, open_stream, set_cookie, status_and_json};

const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// One browser's cookies for the chat (both replicas are behind one nginx: one site).
#[derive(Debug, Clone)]
struct Browser {
    access: String,
    refresh: String,
    agent: &'static str,
}

/// `name=value` of cookie `name` a response set.
fn pair(response: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie(response, name).map(|c| c.split(';').next().expect("name=value").to_owned())
}

impl Browser {
    async fn sign_in(app: &TestApp, user: &User, agent: &'static str) -> Self {
        let email: String =
            app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&user.id]).await.expect("email").get(0);
        let login = app
            .fresh
            .post(app.url("/api/dev/login"))
            .header("user-agent", agent)
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({ "email": email }))
            .send()
            .await
            .expect("POST /api/dev/login");
        assert_eq!(login.status(), 200);
        let refresh = set_cookie(&login, "tutorchat_refresh").expect("a refresh cookie");
        for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(refresh.split("; ").any(|p| p == part), "{part} in {refresh}");
        }
        Self {
            access: pair(&login, "access_token").expect("the session's cookie"),
            refresh: pair(&login, "tutorchat_refresh").expect("a refresh cookie"),
            agent,
        }
    }

    fn token(&self) -> String {
        self.access.split_once('=').expect("name=value").1.to_owned()
    }

    fn cookies(&self) -> String {
        format!("{}; {}", self.access, self.refresh)
    }

    /// `POST /api/sessions/refresh` from the chat's page; keeps what it set. The status and body,
    /// and whether a new refresh credential came.
    async fn refresh(&mut self, app: &TestApp) -> (u16, Value, bool) {
        let response = app
            .fresh
            .post(app.url("/api/sessions/refresh"))
            .header("cookie", self.cookies())
            .header("origin", format!("http://{}", app.addr))
            .header("user-agent", self.agent)
            .send()
            .await
            .expect("POST /api/sessions/refresh");
        if let Some(access) = pair(&response, "access_token") {
            self.access = access;
        }
        let rotated = pair(&response, "tutorchat_refresh");
        if let Some(refresh) = &rotated {
            self.refresh = refresh.clone();
        }
        let (status, body) = status_and_json(response).await;
        (status, body, rotated.is_some())
    }

    /// `method path` with the cookies, from the chat's page: the status and the body's `code`.
    async fn call(&self, app: &TestApp, method: reqwest::Method, path: &str) -> (u16, Value) {
        let request = app
            .fresh
            .request(method, app.url(path))
            .header("cookie", self.cookies())
            .header("origin", format!("http://{}", app.addr));
        let response = request.send().await.expect("request");
        if response.status() == 204 {
            return (204, Value::Null);
        }
        status_and_json(response).await
    }

    async fn me(&self, app: &TestApp) -> (u16, Option<String>) {
        let (status, body) = self.call(app, reqwest::Method::GET, "/api/me").await;
        (status, body["code"].as_str().map(str::to_owned))
    }
}

fn short(c: &mut tutorchat::config::Config) {
    c.auth.jwt.dev_token_ttl = Duration::from_secs(3);
}

#[tokio::test]
async fn a_token_that_ran_out_is_renewed_on_another_replica_and_the_stream_resumes_from_its_cursor() {
    let a = TestApp::spawn_with(short).await;
    let b = TestApp::spawn_on(a.database.clone(), short).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    let mut phone = Browser::sign_in(&a, &student, ANDROID).await;
    let first = phone.refresh.clone();

    let mut stream = open_stream(&b.fresh, &b.url("/api/events/chat"), &phone.token(), None).await;
    let seen = a.send(&teacher, chat, "до перерыва").await;
    let mut cursor = None;
    while let Some(item) = stream.item(Duration::from_secs(10)).await {
        if let Item::Event(e) = item
            && e.event == "new_message"
        {
            assert_eq!(e.json()["message"]["id"].as_i64(), Some(seen));
            cursor = e.id.clone();
            break;
        }
    }
    let cursor = cursor.expect("the first message on the stream");
    // The token runs out: its stream ends, and a request with it is refused as expired.
    tokio::time::timeout(Duration::from_secs(15), stream.until_closed(Duration::from_secs(10)))
        .await
        .expect("the stream ends with its token");
    let missed = [a.send(&teacher, chat, "пока вас не было").await, b.send(&teacher, chat, "и ещё").await];
    // (Refused as expired a few seconds of leeway later: clocks differ.)
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while phone.me(&b).await.0 == 200 {
        assert!(std::time::Instant::now() < deadline, "the expired token is still taken");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(phone.me(&b).await, (401, Some("token_expired".to_owned())));

    // Renewed on the other replica: a new token of the same session, a new refresh credential.
    let (status, body, rotated) = phone.refresh(&b).await;
    assert_eq!((status, rotated), (200, true), "{body}");
    assert_ne!(phone.refresh, first);
    assert_eq!(phone.me(&a).await, (200, None));
    let (_, devices) = phone.call(&a, reqwest::Method::GET, "/api/sessions").await;
    assert_eq!(devices["sessions"].as_array().map(Vec::len), Some(1), "one session, renewed: {devices}");

    // The stream resumes after its cursor: what was sent meanwhile, once each, in order.
    let mut resumed = open_stream(&a.fresh, &a.url("/api/events/chat"), &phone.token(), Some(&cursor)).await;
    let got: Vec<i64> = resumed
        .events(2)
        .await
        .iter()
        .filter(|e| e.event == "new_message")
        .filter_map(|e| e.json()["message"]["id"].as_i64())
        .collect();
    assert_eq!(got, missed);
}

#[tokio::test]
async fn a_refresh_credential_used_twice_ends_its_session_on_every_replica() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let student = a.user("student", "Мария").await;
    let mut phone = Browser::sign_in(&a, &student, ANDROID).await;
    let stolen = phone.clone();
    assert_eq!(phone.refresh(&a).await.0, 200);
    let before = phone.clone();
    assert_eq!(phone.refresh(&b).await.0, 200);

    // Two tabs whose tokens ran out together: the late one's credential was rotated away a
    // moment ago; it gets a token and keeps the newer credential its browser already has.
    let mut late_tab = before.clone();
    let (status, body, rotated) = late_tab.refresh(&a).await;
    assert_eq!((status, rotated), (200, false), "{body}");

    // The copy taken before both rotations comes back: the session ends, for both holders.
    let mut thief = stolen;
    let (status, body, _) = thief.refresh(&b).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("session_ended")), "{body}");
    let (status, body, _) = phone.refresh(&a).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("session_ended")), "{body}");
    assert_eq!(phone.me(&b).await, (401, Some("session_ended".to_owned())), "its token too, elsewhere");
    let why: Option<String> = a
        .sql
        .query_one("SELECT ended_why FROM sessions WHERE user_id = $1", &[&student.id])
        .await
        .expect("the session")
        .get(0);
    assert_eq!(why.as_deref(), Some("refresh_reused"));
}

#[tokio::test]
async fn your_devices_lists_each_session_and_signs_out_one_or_every_one() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (student, other) = (a.user("student", "Мария").await, a.user("student", "Пётр").await);
    let phone = Browser::sign_in(&a, &student, ANDROID).await;
    let mut laptop = Browser::sign_in(&b, &student, LINUX).await;
    let others = Browser::sign_in(&a, &other, LINUX).await;

    let (status, list) = phone.call(&b, reqwest::Method::GET, "/api/sessions").await;
    assert_eq!(status, 200, "{list}");
    let sessions = list["sessions"].as_array().expect("sessions");
    let devices: Vec<(&str, bool)> =
        sessions.iter().map(|s| (s["device"].as_str().expect("device"), s["current"] == true)).collect();
    assert_eq!(devices, [("Firefox · Linux", false), ("Chrome · Android", true)], "newest first: {list}");
    assert!(sessions.iter().all(|s| s["address"] == "203.0.113.7"), "behind the trusted proxy: {list}");
    let laptop_id = sessions[0]["id"].as_str().expect("id").to_owned();
    let (_, theirs) = others.call(&a, reqwest::Method::GET, "/api/sessions").await;
    let their_id = theirs["sessions"][0]["id"].as_str().expect("id").to_owned();

    // Nobody signs out another person's device, nor from another site's page.
    let (status, body) = phone.call(&a, reqwest::Method::DELETE, &format!("/api/sessions/{their_id}")).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{body}");
    assert_eq!(others.me(&b).await, (200, None));
    let cross_site = a
        .fresh
        .delete(a.url(&format!("/api/sessions/{laptop_id}")))
        .header("cookie", phone.cookies())
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("DELETE");
    assert_eq!(status_and_json(cross_site).await.1["code"], "cross_site_request");

    // "Sign out this one": the laptop, from the phone; refused on every replica, renews no more.
    assert_eq!(phone.call(&a, reqwest::Method::DELETE, &format!("/api/sessions/{laptop_id}")).await.0, 204);
    assert_eq!(laptop.me(&a).await, (401, Some("session_ended".to_owned())));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while laptop.me(&b).await.0 != 401 {
        assert!(std::time::Instant::now() < deadline, "the other replica still takes the laptop's token");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(laptop.refresh(&b).await.1["code"], "session_ended");
    let (_, list) = phone.call(&a, reqwest::Method::GET, "/api/sessions").await;
    assert_eq!(list["sessions"].as_array().map(Vec::len), Some(1), "{list}");

    // "Sign out everywhere": this device too, its cookies cleared.
    let everywhere = a
        .fresh
        .delete(a.url("/api/sessions"))
        .header("cookie", phone.cookies())
        .header("origin", format!("http://{}", a.addr))
        .send()
        .await
        .expect("DELETE /api/sessions");
    assert_eq!(everywhere.status(), 204);
    assert!(everywhere.headers().contains_key("clear-site-data"));
    assert!(set_cookie(&everywhere, "tutorchat_refresh").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(phone.me(&a).await, (401, Some("session_ended".to_owned())));
    assert_eq!(others.me(&a).await, (200, None), "another person's session is theirs");
}

#[tokio::test]
async fn nothing_renews_past_the_limit_after_a_deactivation_or_a_sign_out() {
    let a = TestApp::spawn_with(|c| {
        (c.auth.jwt.dev_token_ttl, c.auth.session_max_age) = (Duration::from_secs(2), Duration::from_secs(6))
    })
    .await;
    let (admin, student, teacher) =
        (a.user("admin", "Завуч").await, a.user("student", "Мария").await, a.user("teacher", "Иван").await);

    // The limit: a renewal's token ends with the session, and then nothing renews it.
    let mut phone = Browser::sign_in(&a, &student, ANDROID).await;
    let (_, list) = phone.call(&a, reqwest::Method::GET, "/api/sessions").await;
    let ends_at = list["sessions"][0]["ends_at"].as_str().expect("ends_at").to_owned();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, body, _) = phone.refresh(&a).await;
    assert_eq!(status, 200, "{body}");
    let parse = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).expect("time");
    assert!(parse(body["session_expires_at"].as_str().expect("expiry")) <= parse(&ends_at), "{body} {ends_at}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, body, _) = phone.refresh(&a).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("session_ended")), "{body}");

    // A deactivation ends the person's sessions: none renews.
    let mut laptop = Browser::sign_in(&a, &teacher, LINUX).await;
    assert_eq!(deactivate(&a, &admin, &teacher, true).await.0, 204);
    let (status, body, _) = laptop.refresh(&a).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("account_deactivated")), "{body}");
    let why: Vec<Option<String>> = a
        .sql
        .query("SELECT ended_why FROM sessions WHERE user_id = $1", &[&teacher.id])
        .await
        .expect("sessions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(why, [Some("deactivated".to_owned())]);

    // Signing out with a token that ran out: the refresh cookie says which session it was.
    let mut tablet = Browser::sign_in(&a, &student, LINUX).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let logout = a
        .fresh
        .post(a.url("/api/logout"))
        .header("cookie", &tablet.refresh)
        .header("origin", format!("http://{}", a.addr))
        .send()
        .await
        .expect("POST /api/logout");
    assert_eq!(logout.status(), 204);
    assert!(set_cookie(&logout, "tutorchat_refresh").is_some_and(|c| c.contains("Max-Age=0")));
    let (status, body, _) = tablet.refresh(&a).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("session_ended")), "{body}");
}

#[tokio::test]
async fn over_https_the_refresh_cookie_is_a_host_cookie_too() {
    let a = TestApp::spawn().await;
    let student = a.user("student", "Мария").await;
    let email: String =
        a.sql.query_one("SELECT email FROM users WHERE id = $1", &[&student.id]).await.expect("email").get(0);
    let https = |request: reqwest::RequestBuilder| {
        request.header("x-forwarded-proto", "https").header("origin", format!("https://{}", a.addr))
    };
    let login =
        https(a.fresh.post(a.url("/api/dev/login"))).json(&json!({ "email": email })).send().await.expect("login");
    let refresh = set_cookie(&login, "tutorchat_refresh").expect("a refresh cookie");
    assert!(refresh.starts_with("__Host-tutorchat_refresh="), "{refresh}");
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(refresh.split("; ").any(|p| p == part), "{part} in {refresh}");
    }
    let cookie = refresh.split(';').next().expect("name=value").to_owned();
    // The token's cookie gone (the browser drops it when it runs out), the refresh one kept:
    // the token expired, which the client renews (and a visitor with neither is no session).
    for path in ["/api/me", "/api/events/chat"] {
        let (status, body) =
            status_and_json(https(a.fresh.get(a.url(path))).header("cookie", &cookie).send().await.expect("GET")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("token_expired")), "{path}: {body}");
        let (_, body) = status_and_json(https(a.fresh.get(a.url(path))).send().await.expect("GET")).await;
        assert_eq!(body["code"], "unauthenticated", "{path}");
    }
    // An unprefixed copy (a sibling site could set one) is not read over HTTPS.
    let unprefixed = cookie.trim_start_matches("__Host-").to_owned();
    let refused =
        https(a.fresh.post(a.url("/api/sessions/refresh"))).header("cookie", unprefixed).send().await.expect("POST");
    assert_eq!(refused.status(), 401);
    let renewed =
        https(a.fresh.post(a.url("/api/sessions/refresh"))).header("cookie", cookie).send().await.expect("POST");
    assert_eq!(renewed.status(), 200);
    assert!(set_cookie(&renewed, "access_token").is_some_and(|c| c.starts_with("__Host-access_token=")));
    assert!(set_cookie(&renewed, "tutorchat_refresh").is_some_and(|c| c.starts_with("__Host-tutorchat_refresh=")));
}

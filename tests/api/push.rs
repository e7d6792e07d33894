//! Web Push: subscriptions, and pushes from the offline outbox to a local push service
//! (tests/push/receiver.py) that decrypts each with Python's http-ece and verifies its VAPID
//! token with PyJWT against the key the server publishes: libraries independent of the
//! server's. One of two replicas sends each; 429 is retried, 410 removes the subscription.

use std::time::Duration;

use serde_json::{Value, json};
use tutorchat::config::{NotifyConfig, PushConfig, PushPreview, PushService, Vapid, vapid_key};

use crate::helpers::{PushReceiver, TestApp, User, status_and_json};

/// The school's key in these tests.
const PRIVATE_KEY: &str = "IQ9Ur0ykXoHS9gzfYX0aBjy9lvdrjx_PFUXmie9YRcY";

/// Web Push only (no webhook), to `receiver`'s origin, with short periods.
pub(crate) fn config(receiver: &PushReceiver) -> NotifyConfig {
    let (private_key, public_key) = vapid_key(PRIVATE_KEY).expect("a key");
    NotifyConfig {
        webhook: None,
        grace: Duration::from_secs(1),
        quiet: Duration::from_secs(600),
        lease: Duration::from_secs(5),
        retry_base: Duration::from_millis(200),
        retry_for: Duration::from_secs(24 * 3600),
        keep: Duration::from_secs(30 * 24 * 3600),
        push: PushConfig {
            vapid: Some(Vapid { private_key, public_key, subject: "mailto:it@school.example".into() }),
            ttl: Duration::from_secs(3600),
            services: vec![PushService::Origin(receiver.url.clone())],
            preview: PushPreview::Full,
        },
        email: tutorchat::config::EmailConfig::default(),
    }
}

/// Registers `subscription` (a browser's JSON) as `user`'s.
pub(crate) async fn subscribe(app: &TestApp, user: &User, subscription: &Value) -> (u16, Value) {
    let request = app.http.post(app.url("/api/push/subscriptions")).bearer_auth(&user.token).json(subscription);
    status_and_json(request.send().await.expect("POST subscription")).await
}

/// The pushes `receiver` got for subscription `sid`.
pub(crate) fn to(received: &[Value], sid: &str) -> Vec<Value> {
    received.iter().filter(|r| r["sid"] == sid).cloned().collect()
}

#[tokio::test]
async fn an_offline_person_s_browsers_each_get_one_push_that_decrypts_and_verifies() {
    let receiver = PushReceiver::start().await;
    let notify = config(&receiver);
    let a = TestApp::spawn_with(|c| c.notify = notify.clone()).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.notify = notify).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;

    // The key the browser subscribes with is the one every push must verify against.
    let (status, key) =
        status_and_json(a.get("/api/push/vapid-public-key", &student).send().await.expect("it answers")).await;
    assert_eq!(status, 200, "{key}");
    receiver.expect_vapid_key(key["public_key"].as_str().expect("a key")).await;
    let (laptop, laptop_subscription) = receiver.subscribe().await;
    let (phone, phone_subscription) = receiver.subscribe().await;
    assert_eq!(subscribe(&a, &student, &laptop_subscription).await.0, 201);
    assert_eq!(subscribe(&b, &student, &phone_subscription).await.0, 201);
    let (status, again) = subscribe(&b, &student, &phone_subscription).await;
    assert_eq!(status, 201, "subscribing again is fine: {again}");
    let (teachers, teachers_subscription) = receiver.subscribe().await;
    assert_eq!(subscribe(&a, &teacher, &teachers_subscription).await.0, 201);

    let text = "Домашнее задание: параграф 12, упражнения 3–5. ".repeat(4);
    let message = a.send(&teacher, chat, &text).await;
    receiver
        .wait_for("a push to each of the student's browsers", Duration::from_secs(10), |r| {
            !to(r, &laptop).is_empty() && !to(r, &phone).is_empty()
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await; // a second push would have come by now
    let received = receiver.received().await;
    for sid in [&laptop, &phone] {
        let pushes = to(&received, sid);
        assert_eq!(pushes.len(), 1, "exactly one push per browser, from one of the two replicas: {pushes:#?}");
        let push = &pushes[0];
        assert_eq!(push["decrypt_error"], Value::Null, "{push:#}");
        assert_eq!(push["vapid"]["valid"], true, "the VAPID token verifies against the published key: {push:#}");
        assert_eq!(push["headers"]["content_encoding"], "aes128gcm");
        assert_eq!(push["headers"]["ttl"], "3600");
        assert_eq!(push["headers"]["urgency"], "high");
        assert_eq!(push["headers"]["topic"], format!("chat-{chat}"));
        assert_eq!(push["vapid"]["claims"]["sub"], "mailto:it@school.example");
        let payload = &push["payload"];
        assert_eq!(payload["title"], "Иван Петрович");
        assert_eq!(payload["sender"], "Иван Петрович");
        assert_eq!(payload["body"], text.chars().take(100).collect::<String>(), "the first 100 characters");
        assert_eq!((payload["chat_id"].as_i64(), payload["message_id"].as_i64()), (Some(chat), Some(message)));
        assert_eq!(payload["count"], 1);
    }
    assert!(to(&received, &teachers).is_empty(), "never for one's own message");

    // Subscriptions are per person: unsubscribing is the owner's alone.
    let body = json!({ "endpoint": phone_subscription["endpoint"] });
    let request = a.http.delete(a.url("/api/push/subscriptions")).bearer_auth(&teacher.token).json(&body);
    let (status, answer) = status_and_json(request.send().await.expect("it answers")).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")), "{answer}");
    let request = a.http.delete(a.url("/api/push/subscriptions")).bearer_auth(&student.token).json(&body);
    assert_eq!(request.send().await.expect("it answers").status(), 204);
    let count: i64 = a.sql.query_one("SELECT count(*) FROM push_subscriptions", &[]).await.expect("it answers").get(0);
    assert_eq!(count, 2, "the laptop's and the teacher's remain");
}

#[tokio::test]
async fn a_429_is_retried_and_a_410_removes_the_subscription() {
    let receiver = PushReceiver::start().await;
    let a = TestApp::spawn_with(|c| c.notify = config(&receiver)).await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let (busy, busy_subscription) = receiver.subscribe().await;
    let (gone, gone_subscription) = receiver.subscribe().await;
    assert_eq!(subscribe(&a, &student, &busy_subscription).await.0, 201);
    assert_eq!(subscribe(&a, &student, &gone_subscription).await.0, 201);
    receiver.answer(&busy, &[429, 503]).await;
    receiver.expire(&gone).await;

    let message = a.send(&teacher, chat, "are you there?").await;
    let received = receiver
        .wait_for("the busy browser's push delivered after two refusals", Duration::from_secs(15), |r| {
            to(r, &busy).iter().any(|p| p["answered"] == 201)
        })
        .await;
    let answers: Vec<i64> = to(&received, &busy).iter().map(|p| p["answered"].as_i64().expect("it answers")).collect();
    assert_eq!(answers, [429, 503, 201], "retried until delivered");
    assert!(to(&received, &busy).iter().all(|p| p["payload"]["message_id"] == message && p["vapid"]["valid"] == true));
    assert_eq!(
        to(&received, &gone).iter().map(|p| p["answered"].as_i64().expect("it answers")).collect::<Vec<_>>(),
        [410]
    );
    let endpoints: Vec<String> = a
        .sql
        .query("SELECT endpoint FROM push_subscriptions", &[])
        .await
        .expect("it answers")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(endpoints, [busy_subscription["endpoint"].as_str().expect("it answers")], "the expired one is deleted");
    // The push service has answered; the worker settles the row just after (it may still be
    // `sending` for a moment under load).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let states = loop {
        let states: Vec<(String, i32)> = a
            .sql
            .query("SELECT state, attempts FROM push_messages", &[])
            .await
            .expect("it answers")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        if states.iter().all(|(state, _)| state != "sending") || std::time::Instant::now() > deadline {
            break states;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(states, [("delivered".to_owned(), 3)]);
    // The process's counters (shared with any test running beside this one): at least these.
    for (outcome, at_least) in [("retried", 2.0), ("delivered", 1.0), ("gone", 1.0)] {
        let series = format!("tutorchat_pushes_total{{outcome=\"{outcome}\"}}");
        let value = a.metric(&series).await.unwrap_or_default();
        assert!(value >= at_least, "{series} is {value}, not at least {at_least}");
    }
}

#[tokio::test]
async fn subscriptions_are_checked_erased_with_their_person_and_push_may_be_off() {
    let receiver = PushReceiver::start().await;
    let a = TestApp::spawn_with(|c| c.notify = config(&receiver)).await;
    let student = a.user("student", "Student").await;
    let (_, good) = receiver.subscribe().await;
    let with = |endpoint: &str, p256dh: &Value, auth: &Value| json!({ "endpoint": endpoint, "expirationTime": null, "keys": { "p256dh": p256dh, "auth": auth } });
    let (p256dh, auth) = (&good["keys"]["p256dh"], &good["keys"]["auth"]);
    for (body, code) in [
        (with("https://evil.example/push/1", p256dh, auth), "push_endpoint_not_allowed"),
        (with("http://169.254.169.254/latest", p256dh, auth), "push_endpoint_not_allowed"),
        (with("not a url", p256dh, auth), "unprocessable"),
        (with(good["endpoint"].as_str().expect("it answers"), &json!("AAAA"), auth), "unprocessable"),
        (with(good["endpoint"].as_str().expect("it answers"), p256dh, &json!("AAAA")), "unprocessable"),
        (json!({ "endpoint": good["endpoint"] }), "invalid_request"),
    ] {
        let (status, answer) = subscribe(&a, &student, &body).await;
        assert_eq!(answer["code"], code, "{body}: {status} {answer}");
    }
    let count: i64 = a.sql.query_one("SELECT count(*) FROM push_subscriptions", &[]).await.expect("it answers").get(0);
    assert_eq!(count, 0);

    // An erasure forgets the person's browsers with the rest.
    assert_eq!(subscribe(&a, &student, &good).await.0, 201);
    crate::governance::erase(&a, &a.user("admin", "Admin").await, &student).await;
    let count: i64 = a.sql.query_one("SELECT count(*) FROM push_subscriptions", &[]).await.expect("it answers").get(0);
    assert_eq!(count, 0, "erased with the person");

    // The app is told push is on (so it asks for the key) ...
    let config = a.http.get(a.url("/api/auth/config")).send().await.expect("it answers");
    assert_eq!(config.json::<Value>().await.expect("json")["push"], true);

    // Guests get none; without a key, push is off.
    let (_, _, guest, _) = crate::inquiries::inquiry(&a).await;
    let (status, answer) = subscribe(&a, &guest, &good).await;
    assert_eq!((status, answer["code"].as_str()), (403, Some("guest_confined")), "{answer}");
    let off = TestApp::spawn().await;
    // ... and here that it is off, so it does not ask (a 404 in the browser's console).
    let config = off.http.get(off.url("/api/auth/config")).send().await.expect("it answers");
    assert_eq!(config.json::<Value>().await.expect("json")["push"], false);
    let someone = off.user("student", "Someone").await;
    let (status, answer) =
        status_and_json(off.get("/api/push/vapid-public-key", &someone).send().await.expect("it answers")).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("push_disabled")), "{answer}");
    let (status, answer) = subscribe(&off, &someone, &good).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("push_disabled")), "{answer}");
}

/// What a push shows on a lock screen is the school's choice (`PUSH_PREVIEW`, security review
/// L7): by default the sender's name without the text (a minor's words stay off shared and
/// locked screens); `off` shows neither (the browser says only "new message").
#[tokio::test]
async fn a_push_shows_the_sender_without_the_text_unless_the_school_chooses_otherwise() {
    for (preview, title, sender) in [(None, "Иван Петрович", "Иван Петрович"), (Some(PushPreview::Off), "", "")]
    {
        let receiver = PushReceiver::start().await;
        let mut notify = config(&receiver);
        match preview {
            Some(preview) => notify.push.preview = preview,
            None => notify.push.preview = PushConfig::default().preview,
        }
        let a = TestApp::spawn_with(|c| c.notify = notify).await;
        let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
        let chat = a.chat(&teacher, &student).await;
        let key = status_and_json(a.get("/api/push/vapid-public-key", &student).send().await.expect("key")).await.1;
        receiver.expect_vapid_key(key["public_key"].as_str().expect("a key")).await;
        let (phone, subscription) = receiver.subscribe().await;
        assert_eq!(subscribe(&a, &student, &subscription).await.0, 201);
        let message = a.send(&teacher, chat, "мой адрес: улица Ленина, 5").await;
        receiver.wait_for("the push", Duration::from_secs(10), |r| !to(r, &phone).is_empty()).await;
        let pushes = to(&receiver.received().await, &phone);
        let payload = &pushes[0]["payload"];
        assert_eq!((payload["title"].as_str(), payload["sender"].as_str()), (Some(title), Some(sender)), "{preview:?}");
        assert_eq!(payload["body"], "", "{preview:?}: never the text");
        assert_eq!((payload["chat_id"].as_i64(), payload["message_id"].as_i64()), (Some(chat), Some(message)));
    }
}

/// A person keeps at most ten browsers subscribed: an eleventh replaces the oldest (security
/// review M3: one account could otherwise make the server push to any number of endpoints).
#[tokio::test]
async fn a_person_keeps_ten_subscriptions_the_oldest_replaced() {
    let receiver = PushReceiver::start().await;
    let a = TestApp::spawn_with(|c| c.notify = config(&receiver)).await;
    let student = a.user("student", "Student").await;
    let mut endpoints = Vec::new();
    for _ in 0..11 {
        let (_, subscription) = receiver.subscribe().await;
        assert_eq!(subscribe(&a, &student, &subscription).await.0, 201);
        endpoints.push(subscription["endpoint"].as_str().expect("endpoint").to_owned());
    }
    let kept: Vec<String> = a
        .sql
        .query("SELECT endpoint FROM push_subscriptions WHERE user_id = $1 ORDER BY id", &[&student.id])
        .await
        .expect("subscriptions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kept, endpoints[1..], "the ten newest");
}

/// A push service that never answers holds its own push only: the next pushes go out while
/// its request still hangs (security review M3: a round of pushes waited for its slowest).
#[tokio::test]
async fn a_push_service_that_never_answers_delays_only_its_own_push() {
    let receiver = PushReceiver::start().await;
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hole_origin = format!("http://{}", hole.local_addr().expect("address"));
    let (hung, mut hanging) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Accepts, reads, answers nothing; says when a connection comes and when it goes.
        while let Ok((mut socket, _)) = hole.accept().await {
            let hung = hung.clone();
            tokio::spawn(async move {
                let _ = hung.send(true);
                let mut sink = [0u8; 4096];
                while tokio::io::AsyncReadExt::read(&mut socket, &mut sink).await.is_ok_and(|n| n > 0) {}
                let _ = hung.send(false);
            });
        }
    });
    let mut notify = config(&receiver);
    notify.lease = Duration::from_secs(60); // a request's deadline is half of it: 10 s at most
    notify.push.services.push(PushService::Origin(hole_origin.clone()));
    let a = TestApp::spawn_with(|c| c.notify = notify).await;
    let teacher = a.user("teacher", "Teacher").await;
    let (stuck, waiting) = (a.user("student", "Stuck").await, a.user("student", "Waiting").await);
    let (stuck_chat, waiting_chat) = (a.chat(&teacher, &stuck).await, a.chat(&teacher, &waiting).await);
    let key = status_and_json(a.get("/api/push/vapid-public-key", &stuck).send().await.expect("key")).await.1;
    receiver.expect_vapid_key(key["public_key"].as_str().expect("a key")).await;
    let (_, keys) = receiver.subscribe().await;
    let black_holed = json!({ "endpoint": format!("{hole_origin}/push/hole"), "keys": keys["keys"] });
    assert_eq!(subscribe(&a, &stuck, &black_holed).await.0, 201);
    let (good, subscription) = receiver.subscribe().await;
    assert_eq!(subscribe(&a, &waiting, &subscription).await.0, 201);

    a.send(&teacher, stuck_chat, "into the hole").await;
    assert_eq!(hanging.recv().await, Some(true), "the push to the silent service is under way");
    a.send(&teacher, waiting_chat, "to a service that answers").await;
    receiver.wait_for("the other push", Duration::from_secs(30), |r| !to(r, &good).is_empty()).await;
    assert!(hanging.try_recv().is_err(), "delivered while the silent service still held its request");
}

/// A push service's redirect is not followed: the push is a failure to retry, and the address
/// it pointed to never hears from the server (security review M3: a redirect from an allowed
/// host was a blind request to any internal address).
#[tokio::test]
async fn a_push_services_redirect_is_not_followed() {
    let receiver = PushReceiver::start().await;
    let canary = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let canary_url = format!("http://{}/", canary.local_addr().expect("address"));
    let (reached, mut reaches) = tokio::sync::mpsc::unbounded_channel::<()>();
    tokio::spawn(async move {
        while canary.accept().await.is_ok() {
            let _ = reached.send(());
        }
    });
    let redirecting = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let origin = format!("http://{}", redirecting.local_addr().expect("address"));
    let (asked, mut asks) = tokio::sync::mpsc::unbounded_channel::<()>();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = redirecting.accept().await {
            let (asked, canary_url) = (asked.clone(), canary_url.clone());
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut request).await;
                let answer =
                    format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {canary_url}\r\nContent-Length: 0\r\n\r\n");
                let _ = tokio::io::AsyncWriteExt::write_all(&mut socket, answer.as_bytes()).await;
                let _ = asked.send(());
            });
        }
    });
    let mut notify = config(&receiver);
    notify.push.services.push(PushService::Origin(origin.clone()));
    let a = TestApp::spawn_with(|c| c.notify = notify).await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let (_, keys) = receiver.subscribe().await;
    let redirected = json!({ "endpoint": format!("{origin}/push/elsewhere"), "keys": keys["keys"] });
    assert_eq!(subscribe(&a, &student, &redirected).await.0, 201);

    a.send(&teacher, chat, "follow me").await;
    tokio::time::timeout(Duration::from_secs(30), asks.recv()).await.expect("the push went out").expect("asked");
    // Settled as the server saw it: not delivered. Had it followed the redirect, the canary
    // would have been reached before this.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (state, error) = loop {
        let row = a
            .sql
            .query_one(
                "SELECT state, coalesce(last_error, '') FROM push_messages ORDER BY created_at DESC LIMIT 1",
                &[],
            )
            .await
            .expect("the push's row");
        let (state, error): (String, String) = (row.get(0), row.get(1));
        if state != "pending" && state != "sending" {
            break (state, error);
        }
        assert!(std::time::Instant::now() < deadline, "the push was never settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(state == "retry" || state == "failed", "{state}: {error}");
    assert!(error.contains("307"), "{error}");
    assert!(reaches.try_recv().is_err(), "the redirect's target was reached");
}

//! Offline notifications: the outbox written from the log after the message, delivered to a
//! real webhook (an HTTP server in this process) by exactly one of two replicas, signed,
//! retried, folded, and cancelled when the user comes back.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tutorchat::config::{NotifyConfig, Webhook, webhook_secret};

use crate::helpers::{Call, Receiver, TestApp, User};

mod timing;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub(crate) fn notify(url: &str) -> NotifyConfig {
    NotifyConfig {
        webhook: Some(Webhook { url: url.to_owned(), secret: webhook_secret(SECRET).expect("secret") }),
        grace: Duration::from_secs(1),
        quiet: Duration::from_secs(600),
        lease: Duration::from_secs(5),
        retry_base: Duration::from_millis(200),
        retry_for: Duration::from_secs(24 * 3600),
        keep: Duration::from_secs(30 * 24 * 3600),
        push: tutorchat::config::PushConfig::default(),
        email: tutorchat::config::EmailConfig::default(),
    }
}

/// Two replicas delivering to `url`, a teacher and a student with their chat.
pub(crate) async fn school(config: NotifyConfig) -> (TestApp, TestApp, User, User, i64) {
    // Editing on: a notice shows a message as it is at delivery, edits included.
    let a = TestApp::spawn_with(|c| (c.notify, c.append.editing) = (config.clone(), true)).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| (c.notify, c.append.editing) = (config, true)).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    (a, b, teacher, student, chat)
}

/// The notices' states, oldest first.
pub(crate) async fn states(app: &TestApp) -> Vec<(String, i32, i32)> {
    app.sql
        .query("SELECT state, count, attempts FROM notices ORDER BY created_at, id", &[])
        .await
        .expect("notices")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// Checks a call's Standard Webhooks signature independently of the server's code.
fn verify(call: &Call) {
    let key = base64::engine::general_purpose::STANDARD.decode(SECRET.trim_start_matches("whsec_")).expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", call.id, call.timestamp, call.body).as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(call.signature, format!("v1,{expected}"), "the signature verifies");
    let sent: i64 = call.timestamp.parse().expect("a Unix timestamp");
    assert!((tutorchat_now() - sent).abs() < 60, "a current timestamp");
}

fn tutorchat_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn a_message_to_an_offline_user_is_one_signed_webhook_call_from_one_of_two_replicas() {
    let (receiver, url) = Receiver::start().await;
    let (a, b, teacher, student, chat) = school(notify(&url)).await;
    // The student is online (a stream on B); the teacher is not.
    let _students = b.stream(&student, None).await;
    let message = a.send(&student, chat, "Здравствуйте! Я не поняла задачу 5").await;

    let calls = receiver.wait_for(1, Duration::from_secs(2)).await;
    assert_eq!(calls.len(), 1, "exactly one call across both replicas: {calls:?}");
    let call = &calls[0];
    verify(call);
    let body = call.json();
    assert_eq!(body["id"], call.id.as_str(), "the body carries the id the receiver de-duplicates on");
    assert_eq!(body["user_id"], teacher.id);
    assert_eq!(body["chat_id"], chat);
    assert_eq!(body["message_id"], message);
    assert_eq!(body["preview"], "Здравствуйте! Я не поняла задачу 5");
    assert_eq!(body["count"], 1);
    assert!(
        time::OffsetDateTime::parse(
            body["created_at"].as_str().expect("time"),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    assert_eq!(states(&a).await, [("delivered".to_owned(), 1, 1)]);

    // The teacher answers while the student is online: nobody is notified.
    a.send(&teacher, chat, "Сейчас объясню").await;
    assert_eq!(receiver.wait_for(2, Duration::from_secs(2)).await.len(), 1);
    assert_eq!(states(&a).await.len(), 1, "no notice for an online user");

    let metrics = a.metrics().await;
    assert!(metrics.contains("tutorchat_notices_pending"), "{metrics}");
    assert!(metrics.contains("tutorchat_notices_total{outcome=\"delivered\"}"), "{metrics}");
}

#[tokio::test]
async fn a_failing_webhook_gets_the_same_notice_again_until_it_answers() {
    let (receiver, url) = Receiver::start().await;
    receiver.answer(&[500, 503]);
    let (a, _b, teacher, student, chat) = school(notify(&url)).await;
    a.send(&student, chat, "are you there?").await;

    let calls = receiver.wait_for(3, Duration::from_secs(1)).await;
    assert_eq!(calls.len(), 3, "two failures, then delivered: {calls:?}");
    assert!(calls.iter().all(|c| c.id == calls[0].id), "one notice id throughout");
    assert!(calls.iter().all(|c| c.json()["user_id"] == teacher.id));
    assert_eq!(states(&a).await, [("delivered".to_owned(), 1, 3)]);
}

#[tokio::test]
async fn a_notice_that_keeps_failing_is_given_up() {
    let (receiver, url) = Receiver::start().await;
    receiver.answer(&[500; 50]);
    let config = NotifyConfig { retry_for: Duration::from_secs(2), ..notify(&url) };
    let (a, _b, _teacher, student, chat) = school(config).await;
    a.send(&student, chat, "hello?").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = states(&a).await;
        if now.first().is_some_and(|(state, ..)| state == "failed") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never failed: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let tries = receiver.calls().len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.calls().len(), tries, "no more attempts after failing");
    assert!(tries >= 2, "it was retried before giving up ({tries} calls)");
}

#[tokio::test]
async fn a_burst_of_a_hundred_messages_is_folded_into_at_most_two_notices() {
    let (receiver, url) = Receiver::start().await;
    let (a, b, teacher, student, chat) = school(notify(&url)).await;
    let mut last = 0;
    for i in 0..100 {
        let replica = if i % 2 == 0 { &a } else { &b };
        last = replica.send(&student, chat, &format!("сообщение {i}")).await;
    }
    a.notices_written().await;
    let calls = receiver.wait_for(1, Duration::from_secs(3)).await;
    let notices = states(&a).await;
    assert!((1..=2).contains(&notices.len()), "{notices:?}");
    assert_eq!(notices.iter().map(|(_, count, _)| count).sum::<i32>(), 100, "every message counted once");
    assert!((1..=2).contains(&calls.len()), "{calls:?}");
    assert!(calls.iter().all(|c| c.json()["user_id"] == teacher.id));
    // Whatever came after the first delivery waits out the quiet period in one notice.
    if let Some(second) = notices.get(1) {
        assert_eq!(second.0, "pending", "{notices:?}");
        let newest: i64 = a.sql.query_one("SELECT max(message_id) FROM notices", &[]).await.expect("newest").get(0);
        assert_eq!(newest, last);
    } else {
        assert_eq!(calls[0].json()["message_id"], last);
        assert_eq!(calls[0].json()["preview"], "сообщение 99");
    }
}

/// A message folded into a notice while a replica is claiming it is neither lost nor counted
/// twice. Without a quiet period both replicas claim notices all through a burst to many chats,
/// and a backlog of notices waiting to be retried (for somebody else, due in an hour) makes each
/// claim walk past them first, so folds land between a claim's start and its lock. Once
/// everything is delivered, each chat's notices count every message once and the newest names
/// its last.
#[tokio::test]
async fn messages_folded_while_a_notice_is_claimed_are_each_counted_once() {
    const CHATS: usize = 12;
    const EACH: usize = 30;
    let (_receiver, url) = Receiver::start().await;
    let config = NotifyConfig { grace: Duration::from_millis(200), quiet: Duration::ZERO, ..notify(&url) };
    let (a, b, teacher, other, other_chat) = school(config).await;
    a.sql
        .execute(
            "INSERT INTO notices (user_id, chat_id, first_message_id, message_id, count, preview, created_at, state,
                                  attempts, next_attempt_at)
             SELECT $1, $2, 1, 1, 1, '', now() - interval '1 hour', 'retry', 1, now() + interval '1 hour'
             FROM generate_series(1, 20000)",
            &[&other.id, &other_chat],
        )
        .await
        .expect("a backlog");
    let mut students = Vec::new();
    for i in 0..CHATS {
        let student = a.user("student", &format!("Ученик {i}")).await;
        let chat = a.chat(&teacher, &student).await;
        students.push((student, chat));
    }
    let bursts = students.iter().enumerate().map(|(i, (student, chat))| {
        let (a, b) = (&a, &b);
        async move {
            let mut last = 0;
            for k in 0..EACH {
                let replica = if (i + k) % 2 == 0 { a } else { b };
                last = replica.send(student, *chat, &format!("сообщение {k}")).await;
            }
            (*chat, last)
        }
    });
    let sent = futures::future::join_all(bursts).await;
    a.notices_written().await;

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let open = "SELECT count(*) FROM notices WHERE user_id = $1 AND state <> 'delivered'";
        if a.sql.query_one(open, &[&teacher.id]).await.expect("open notices").get::<_, i64>(0) == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still open: {:?}", states(&a).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (chat, last) in sent {
        let row = a
            .sql
            .query_one(
                "SELECT sum(count)::int, max(message_id), count(*) FROM notices WHERE chat_id = $1 AND user_id = $2",
                &[&chat, &teacher.id],
            )
            .await
            .expect("the chat's notices");
        let (counted, newest, notices): (i32, i64, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!((counted, newest), (EACH as i32, last), "chat {chat}, in {notices} notices");
    }
}

#[tokio::test]
async fn without_a_webhook_nothing_is_recorded() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;
    a.send(&student, chat, "hi").await;
    assert!(states(&a).await.is_empty());
}

/// Records a notice in `state`, its message `created_days_ago`, settled `settled_days_ago` (None:
/// not settled); answers its id.
async fn old_notice(
    app: &TestApp,
    user: i64,
    chat: i64,
    state: &str,
    created_days_ago: f64,
    settled_days_ago: Option<f64>,
) -> uuid::Uuid {
    app.sql
        .query_one(
            "INSERT INTO notices (user_id, chat_id, first_message_id, message_id, count, preview, created_at, state,
                                  sent_at, settled_at)
             VALUES ($1, $2, 1, 1, 1, 'a private message', now() - make_interval(secs => $4::float8 * 86400), $3,
                     now() - make_interval(secs => $5::float8 * 86400), now() - make_interval(secs => $5::float8 * 86400))
             RETURNING id",
            &[&user, &chat, &state, &created_days_ago, &settled_days_ago],
        )
        .await
        .expect("a notice")
        .get(0)
}

/// A replica without a webhook (whose worker claims nothing), with `keep`, and a chat.
async fn keeping(keep: Duration) -> (TestApp, User, i64) {
    let a = TestApp::spawn_with(|c| c.notify = NotifyConfig { quiet: keep, keep, ..NotifyConfig::default() }).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    (a, student, chat)
}

#[tokio::test]
async fn settled_notices_are_deleted_after_the_retention_and_nothing_else_is() {
    let keep = Duration::from_secs(30 * 24 * 3600);
    let (a, student, chat) = keeping(keep).await;
    let notices = [
        // Settled longer ago than the retention: deleted.
        ("delivered", 40.0, Some(35.0), false),
        ("failed", 40.0, Some(31.0), false),
        ("cancelled", 33.0, Some(32.0), false),
        // Settled within it: kept (the quiet period reads the latest delivered one).
        ("delivered", 40.0, Some(29.0), true),
        ("cancelled", 1.0, Some(0.5), true),
        // Not settled, however old: the outbox's own, kept.
        ("pending", 40.0, None, true),
        ("retry", 40.0, None, true),
        ("sending", 40.0, None, true),
    ];
    let mut kept = Vec::new();
    for (state, created, settled, stays) in notices {
        let id = old_notice(&a, student.id, chat, state, created, settled).await;
        if stays {
            kept.push(id);
        }
    }
    // Through the application's pool and role, as the replicas do.
    assert_eq!(tutorchat::outbox::purge(&a.state.db, keep).await.expect("purge"), 3);
    let mut left: Vec<uuid::Uuid> =
        a.sql.query("SELECT id FROM notices", &[]).await.expect("notices").iter().map(|r| r.get(0)).collect();
    left.sort();
    kept.sort();
    assert_eq!(left, kept);
    assert_eq!(tutorchat::outbox::purge(&a.state.db, keep).await.expect("purge again"), 0);
}

#[tokio::test]
async fn a_replica_purges_settled_notices_on_its_own_even_without_a_webhook() {
    let (a, student, chat) = keeping(Duration::from_secs(2)).await;
    let recent = old_notice(&a, student.id, chat, "delivered", 1.0, Some(0.0)).await;
    let old = old_notice(&a, student.id, chat, "delivered", 1.0, Some(0.5)).await;
    let ids = || async {
        let rows = a.sql.query("SELECT id FROM notices ORDER BY settled_at", &[]).await.expect("notices");
        rows.iter().map(|r| r.get::<_, uuid::Uuid>(0)).collect::<Vec<_>>()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while ids().await.contains(&old) {
        assert!(std::time::Instant::now() < deadline, "the old notice was never purged");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The recent one goes too once it is two seconds old: the purge keeps running.
    while ids().await.contains(&recent) {
        assert!(std::time::Instant::now() < deadline, "the purge ran only once");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let purged = a.metric("tutorchat_notices_purged_total").await;
    assert!(purged.is_some_and(|n| n >= 2.0), "counted in /metrics: {purged:?}");
}

/// What reaches the webhook is the message as it is when the notice leaves: a message deleted
/// within the grace is never sent (its notice is cancelled, its text gone from the row), an
/// edited one leaves with its current text, and a fold whose newest message was deleted
/// previews the newest one left and counts only those.
#[tokio::test]
async fn the_webhook_gets_messages_as_they_are_at_delivery_never_deleted_text() {
    let (receiver, url) = Receiver::start().await;
    // The grace is what the steps below must finish within; on a loaded machine (the whole
    // suite on two cores) two seconds was once not enough for three requests and a fan-out.
    let grace = Duration::from_secs(6);
    let config = NotifyConfig { grace, ..notify(&url) };
    let (a, _b, teacher, student, chat) = school(config).await;

    let sent = std::time::Instant::now();
    let oops = a.send(&student, chat, "my password is hunter2").await;
    a.notices_written().await;
    assert_eq!(a.delete_message(&student, oops).await.status(), 200);
    assert!(sent.elapsed() < grace, "the deletion came after the grace: the test's premise");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while states(&a).await.iter().any(|(state, _, _)| state == "pending") {
        assert!(std::time::Instant::now() < deadline, "the notice was never claimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receiver.calls().is_empty(), "a message deleted within the grace is not notified");
    let rows = a.sql.query("SELECT state, preview FROM notices", &[]).await.expect("notices");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].get::<_, &str>("state"), rows[0].get::<_, &str>("preview")), ("cancelled", ""));

    let other_chat = {
        let other = a.user("teacher", "Другой").await;
        a.chat(&other, &student).await
    };
    let edited = a.send(&student, other_chat, "first words").await;
    assert_eq!(a.edit(&student, edited, "better words").await.status(), 200);
    let sent = std::time::Instant::now();
    let kept = a.send(&student, chat, "a question").await;
    let dropped = a.send(&student, chat, "never mind, deleted").await;
    assert_eq!(a.delete_message(&student, dropped).await.status(), 200);
    assert!(sent.elapsed() < grace, "the deletion came after the grace: the test's premise");

    let calls = receiver.wait_for(2, Duration::from_secs(1)).await;
    let bodies: Vec<serde_json::Value> = calls.iter().map(Call::json).collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    let to_teacher = bodies.iter().find(|b| b["user_id"] == teacher.id).expect("the teacher's notice");
    assert_eq!((to_teacher["preview"].as_str(), to_teacher["count"].as_i64()), (Some("a question"), Some(1)));
    assert_eq!(to_teacher["message_id"], kept);
    let edited_notice = bodies.iter().find(|b| b["chat_id"] == other_chat).expect("the other chat's notice");
    assert_eq!(edited_notice["preview"], "better words");
    for body in &bodies {
        let text = body.to_string();
        assert!(!text.contains("hunter2") && !text.contains("deleted") && !text.contains("first words"), "{text}");
    }
}

//! Muting: the person's streams on every replica hear of it, nobody else's; no Web Push and no
//! webhook notice tells them of the chat's messages while it is muted, while the other member
//! still gets theirs; unread still counts; unmuting restores the notices.

use std::time::Duration;

use serde_json::Value;
use tutorchat::config::{
    NotifyConfig, PushConfig, PushPreview, PushService, Vapid, Webhook, vapid_key, webhook_secret,
};

use super::{in_inbox, set};
use crate::governance::audit_is_clean;
use crate::helpers::{PushReceiver, Receiver, TestApp, User, status_and_json};

#[tokio::test]
async fn muting_reaches_all_the_persons_streams_on_both_replicas_and_nobody_elses() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let (admin, mother) = (a.user("admin", "Завуч").await, a.user("guardian", "Мама Марии").await);
    let chat = a.chat(&teacher, &student).await;
    let link = a.url(&format!("/api/admin/guardians/{}/students/{}", mother.id, student.id));
    assert_eq!(a.http.put(link).bearer_auth(&admin.token).send().await.expect("link").status(), 201);

    // Two tabs of the student (one per replica), and everyone else who reads the chat.
    let (mut tab_a, mut tab_b) = (a.stream(&student, None).await, b.stream(&student, None).await);
    let (mut teachers, mut admins, mut mothers) =
        (b.stream(&teacher, None).await, b.stream(&admin, None).await, a.stream(&mother, None).await);

    assert_eq!(set(&a, &student, chat, "mute", true).await, (201, None));
    for tab in [&mut tab_a, &mut tab_b] {
        let muted = tab.event().await;
        assert_eq!((muted.event.as_str(), &muted.json()["chat_id"]), ("chat_muted", &chat.into()), "{}", muted.data);
    }
    assert_eq!(set(&b, &student, chat, "mute", true).await, (200, None), "muted already: no second event");

    // The next event everyone gets is the teacher's message: the mute was the student's alone.
    let message = a.send(&teacher, chat, "Домашнее задание на завтра").await;
    for (who, stream) in
        [("tab a", &mut tab_a), ("tab b", &mut tab_b), ("teacher", &mut teachers), ("admin", &mut admins)]
            .into_iter()
            .chain([("guardian", &mut mothers)])
    {
        let next = stream.event().await;
        // The teacher's own stream gets their message as `message_sent`.
        let name = if who == "teacher" { "message_sent" } else { "new_message" };
        assert_eq!(
            (next.event.as_str(), next.json()["message"]["id"].as_i64()),
            (name, Some(message)),
            "{who}: {}",
            next.data
        );
    }

    // The list says it to the student only; unread still counts.
    let mine = in_inbox(&b, &student, chat).await;
    assert_eq!((&mine["muted"], &mine["archived"], &mine["unread_count"]), (&true.into(), &false.into(), &1.into()));
    assert_eq!(in_inbox(&b, &teacher, chat).await["muted"], false);
    assert_eq!(a.unread(&student, chat).await, 1, "unread still counts in a muted chat");

    assert_eq!(set(&b, &student, chat, "mute", false).await, (204, None));
    for tab in [&mut tab_a, &mut tab_b] {
        assert_eq!(tab.event().await.event, "chat_unmuted");
    }
    assert_eq!(set(&a, &student, chat, "mute", false).await, (204, None), "not muted: no event");
    assert_eq!(in_inbox(&a, &student, chat).await["muted"], false);

    // Who may: participants only; admins and guardians take part in no chat.
    let stranger = a.user("student", "Петя").await;
    assert_eq!(set(&a, &stranger, chat, "mute", true).await.0, 403);
    assert_eq!(set(&a, &admin, chat, "mute", true).await, (403, Some("admin_read_only".into())));
    assert_eq!(set(&a, &mother, chat, "mute", true).await, (403, Some("guardian_read_only".into())));
    let settings: i64 = a
        .sql
        .query_one("SELECT count(*) FROM events WHERE type IN ('chat_muted', 'chat_unmuted')", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(settings, 2, "one event per change, none for a repeat or a refusal");
    audit_is_clean(&a).await;
}

/// The school's key in these tests (as tests/api/push.rs).
const PRIVATE_KEY: &str = "IQ9Ur0ykXoHS9gzfYX0aBjy9lvdrjx_PFUXmie9YRcY";

/// Web Push to `receiver` and the webhook at `url`, with short periods.
pub(crate) fn notify(receiver: &PushReceiver, url: &str) -> NotifyConfig {
    let (private_key, public_key) = vapid_key(PRIVATE_KEY).expect("a key");
    let secret = webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("a secret");
    NotifyConfig {
        webhook: Some(Webhook { url: url.to_owned(), secret }),
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

/// Registers a new browser of `user`'s with the receiver and the server: its subscription id.
pub(crate) async fn browser(app: &TestApp, receiver: &PushReceiver, user: &User) -> String {
    let (sid, subscription) = receiver.subscribe().await;
    let request = app.http.post(app.url("/api/push/subscriptions")).bearer_auth(&user.token).json(&subscription);
    let (status, body) = status_and_json(request.send().await.expect("POST subscription")).await;
    assert_eq!(status, 201, "{body}");
    sid
}

/// The states of `user`'s notices, oldest first, once every message's notices are written and
/// none is waiting (pending, sending or retried) any more.
pub(crate) async fn settled_notices(app: &TestApp, user: &User) -> Vec<String> {
    app.notices_written().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let rows = app
            .sql
            .query("SELECT state FROM notices WHERE user_id = $1 ORDER BY created_at, id", &[&user.id])
            .await
            .expect("notices");
        let states: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        if !states.is_empty() && states.iter().all(|s| ["delivered", "cancelled", "failed"].contains(&s.as_str())) {
            return states;
        }
        assert!(std::time::Instant::now() < deadline, "user {}'s notices did not settle: {states:?}", user.id);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn pushes_to(received: &[Value], sid: &str) -> usize {
    received.iter().filter(|r| r["sid"] == sid).count()
}

#[tokio::test]
async fn a_muted_chat_sends_its_member_no_push_and_no_webhook_notice_until_unmuted() {
    let receiver = PushReceiver::start().await;
    let (webhook, url) = Receiver::start().await;
    let config = notify(&receiver, &url);
    let a = TestApp::spawn_with(|c| c.notify = config.clone()).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.notify = config).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    let (students, teachers) = (browser(&a, &receiver, &student).await, browser(&b, &receiver, &teacher).await);
    let to = |user: &User| {
        let id = user.id;
        move |calls: &[crate::helpers::Call]| calls.iter().filter(|c| c.json()["user_id"] == id).count()
    };

    // Both offline. The student mutes the chat; then each writes to the other.
    assert_eq!(set(&b, &student, chat, "mute", true).await, (201, None));
    a.send(&teacher, chat, "Завтра контрольная").await;
    a.send(&student, chat, "Хорошо, спасибо").await;
    receiver.wait_for("the teacher's push", Duration::from_secs(10), |r| pushes_to(r, &teachers) == 1).await;
    let calls = webhook.wait_for(1, Duration::from_millis(0)).await;
    assert_eq!(to(&teacher)(&calls), 1, "the teacher, who did not mute it, is told: {calls:?}");
    assert_eq!(settled_notices(&a, &student).await, ["cancelled"], "the muted member's notice is cancelled");
    assert_eq!(pushes_to(&receiver.received().await, &students), 0, "no push to the muted member");
    assert_eq!(to(&student)(&webhook.calls()), 0, "no webhook notice for the muted member");
    assert_eq!(a.unread(&student, chat).await, 1, "unread still counts");

    // Unmuted, the next message reaches them again, both ways.
    assert_eq!(set(&a, &student, chat, "mute", false).await, (204, None));
    let later = a.send(&teacher, chat, "Не забудь калькулятор").await;
    let received =
        receiver.wait_for("the student's push", Duration::from_secs(10), |r| pushes_to(r, &students) == 1).await;
    let push = received.iter().find(|r| r["sid"] == students.as_str()).expect("the push");
    assert_eq!(push["payload"]["message_id"].as_i64(), Some(later), "{push:#}");
    let calls = webhook.wait_for(2, Duration::from_millis(0)).await;
    assert_eq!(to(&student)(&calls), 1, "the webhook hears of the student's notice again: {calls:?}");
    assert_eq!(settled_notices(&a, &student).await, ["cancelled", "delivered"]);
    assert_eq!(a.unread(&student, chat).await, 2);
    audit_is_clean(&a).await;
}

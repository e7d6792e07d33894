//! Email to people who never open the app, delivered to a real SMTP server (aiosmtpd, run by the
//! test) by two replicas, and read back from it: one email per recipient, never for a message
//! already read, none for someone who left the school, none during their quiet hours, a daily
//! digest, and an unsubscribe link that works without signing in; over TLS (STARTTLS or
//! `smtps://`), to a server whose certificate the school's own authority (`SMTP_CA_FILE`) issued.

use std::time::Duration;

use serde_json::json;
use time::OffsetDateTime;
use tutorchat::config::{EmailChoice, EmailConfig, EmailDefaults, NotifyConfig, PushPreview, QuietHours, Smtp};

use crate::helpers::{SmtpServer, SmtpTls, TestApp, User, status_and_json};

const PUBLIC: &str = "http://chat.school.test/";

fn notify(server: &SmtpServer, choice: EmailChoice, after: Duration) -> NotifyConfig {
    let ca = server.ca.as_ref().map(|path| path.to_str().expect("a UTF-8 path"));
    notify_trusting(server, ca, choice, after)
}

/// As [`notify`], trusting the public authorities and `ca` (`SMTP_CA_FILE`).
fn notify_trusting(server: &SmtpServer, ca: Option<&str>, choice: EmailChoice, after: Duration) -> NotifyConfig {
    let push = tutorchat::config::PushConfig { preview: PushPreview::Full, ..Default::default() };
    NotifyConfig {
        webhook: None,
        grace: Duration::from_secs(1),
        quiet: Duration::from_secs(1),
        lease: Duration::from_secs(5),
        retry_base: Duration::from_millis(200),
        retry_for: Duration::from_secs(3600),
        keep: Duration::from_secs(3600),
        push,
        email: EmailConfig {
            smtp: Some(
                Smtp::new(
                    &server.url,
                    "Школа <chat@school.test>".parse().expect("a mailbox"),
                    PUBLIC.parse().expect("a URL"),
                    ca,
                )
                .expect("the test's SMTP settings"),
            ),
            defaults: EmailDefaults { student: choice, teacher: choice, guardian: choice },
            after,
            digest_at: time::macros::time!(18:00),
            language: tutorchat::config::Language::Ru,
        },
    }
}

/// Two replicas sending through `server`, a teacher and a student with their chat.
async fn school(config: NotifyConfig, quiet: Option<QuietHours>) -> (TestApp, TestApp, User, User, i64) {
    let setup = move |c: &mut tutorchat::Config| {
        c.notify = config.clone();
        c.safeguarding.quiet_hours = quiet;
    };
    let a = TestApp::spawn_with(setup.clone()).await;
    let b = TestApp::spawn_on(a.database.clone(), setup).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    (a, b, teacher, student, chat)
}

async fn address(app: &TestApp, user: &User) -> String {
    app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&user.id]).await.expect("email").get(0)
}

async fn emails(app: &TestApp) -> Vec<(String, String)> {
    let rows = app.sql.query("SELECT kind, state FROM emails ORDER BY id", &[]).await.expect("emails");
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[tokio::test]
async fn an_unread_message_is_emailed_once_and_its_link_unsubscribes_without_signing_in() {
    let mut server = SmtpServer::start().await;
    let (a, b, teacher, student, chat) = school(notify(&server, EmailChoice::Instant, Duration::ZERO), None).await;
    // Мария reads the app in English (its switch): her emails are written in it, and only in it.
    let choose = |language: serde_json::Value| {
        a.http.put(a.url("/api/me/language")).bearer_auth(&student.token).json(&json!({ "language": language })).send()
    };
    let (status, refused) = status_and_json(choose(json!("de")).await.expect("PUT")).await;
    assert_eq!(status, 400, "a language the school does not write: {refused}");
    let (status, chosen) = status_and_json(choose(json!("en")).await.expect("PUT")).await;
    assert_eq!(chosen, json!({ "language": "en", "default": "ru", "effective": "en" }), "{status}");
    b.send(&teacher, chat, "Домашнее задание: §12, задачи 1–5").await;

    let mail = server.mail(Duration::from_secs(30)).await;
    assert_eq!(mail.rcpt_tos, [address(&a, &student).await]);
    assert!(mail.from.contains("chat@school.test") && mail.to.contains("Мария"), "{mail:?}");
    assert_eq!(mail.subject, "New message from Иван Петрович", "{mail:?}");
    assert!(mail.text.contains("Open the chat:") && mail.text.contains("Unsubscribe:"), "{mail:?}");
    assert!(!mail.text.contains("Открыть") && !mail.text.contains("непрочитанных"), "English only: {mail:?}");
    assert!(mail.text.contains("Домашнее задание: §12, задачи 1–5"), "PUSH_PREVIEW=full shows the text: {mail:?}");
    assert!(mail.text.contains(&format!("{PUBLIC}chats/{chat}")), "{mail:?}");
    assert_eq!(mail.list_unsubscribe_post, "List-Unsubscribe=One-Click");
    server.none_for(Duration::from_secs(3)).await; // one email, though both replicas send
    assert_eq!(emails(&a).await, [("instant".to_owned(), "sent".to_owned())]);

    // The link, from the header: a page, then the one click, no credential.
    let link = mail.list_unsubscribe.trim_start_matches('<').trim_end_matches('>').to_owned();
    let local = link.replace(PUBLIC, &format!("{}/", a.url("").trim_end_matches('/')));
    let page = a.http.get(&local).send().await.expect("GET the link");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("page").contains("<form method=\"post\""));
    let click = a.http.post(&local).body("List-Unsubscribe=One-Click").send().await.expect("POST the link");
    assert_eq!(click.status(), 200);
    let (status, mine) =
        status_and_json(a.get("/api/me/email-notifications", &student).send().await.expect("GET")).await;
    assert_eq!((status, &mine["choice"], &mine["effective"]), (200, &json!("none"), &json!("none")), "{mine}");
    b.send(&teacher, chat, "И ещё одно").await;
    server.none_for(Duration::from_secs(4)).await;

    // A link it did not sign: 422, in JSON.
    let forged = a.http.post(a.url("/api/email/unsubscribe?token=forged")).send().await.expect("POST");
    let (status, body) = status_and_json(forged).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("unsubscribe link")), "{body}");
}

/// The token of the unsubscribe link in `mail`'s `List-Unsubscribe`, and the link on `app`.
fn link_of(app: &TestApp, mail: &crate::helpers::Mail) -> (String, String) {
    let link = mail.list_unsubscribe.trim_start_matches('<').trim_end_matches('>').to_owned();
    let token = link.split_once("token=").expect("a token in the link").1.to_owned();
    (token, link.replace(PUBLIC, &format!("{}/", app.url("").trim_end_matches('/'))))
}

#[tokio::test]
async fn an_unsubscribe_link_is_no_session_on_any_path_and_dies_with_the_address_it_was_sent_to() {
    let mut server = SmtpServer::start().await;
    let (a, _b, teacher, student, chat) = school(notify(&server, EmailChoice::Instant, Duration::ZERO), None).await;
    a.send(&teacher, chat, "Завтра контрольная").await;
    let mail = server.mail(Duration::from_secs(30)).await;
    let (token, local) = link_of(&a, &mail);

    // Not a Bearer token, not the session cookie, not a stream's token in the URL: for reading,
    // for writing, for the live stream.
    let me = a.http.get(a.url("/api/me")).bearer_auth(&token).send().await.expect("GET /api/me");
    assert_eq!(me.status(), 401, "the link's token as a Bearer token");
    let cookie = a.http.get(a.url("/api/me")).header("cookie", format!("access_token={token}"));
    assert_eq!(cookie.send().await.expect("GET /api/me").status(), 401, "the link's token as the session cookie");
    let history = a.http.get(a.url(&format!("/api/chats/{chat}/messages"))).bearer_auth(&token);
    assert_eq!(history.send().await.expect("history").status(), 401);
    let write =
        a.http.post(a.url("/api/messages")).bearer_auth(&token).json(&json!({ "chat_id": chat, "content": "x" }));
    assert_eq!(write.send().await.expect("POST").status(), 401, "the link's token writes nothing");
    let stream = a.http.get(a.url(&format!("/api/events/chat?token={token}"))).send().await.expect("stream");
    assert_eq!(stream.status(), 401, "the link's token opens no stream");

    // What it does, it does while the address it was mailed to is the person's.
    assert_eq!(a.http.get(&local).send().await.expect("GET the link").status(), 200);
    a.sql
        .execute("UPDATE users SET email = 'maria.new@school.test' WHERE id = $1", &[&student.id])
        .await
        .expect("a new address");
    let (status, body) = status_and_json(a.http.post(&local).send().await.expect("POST the link")).await;
    assert_eq!(status, 422, "a link mailed to the old address: {body}");
    let (_, mine) = status_and_json(a.get("/api/me/email-notifications", &student).send().await.expect("GET")).await;
    assert_eq!(mine["choice"], json!(null), "the old link changed nothing: {mine}");
}

#[tokio::test]
async fn no_email_for_a_message_read_meanwhile_nor_for_someone_who_left() {
    let mut server = SmtpServer::start().await;
    let (a, b, teacher, student, chat) =
        school(notify(&server, EmailChoice::Instant, Duration::from_secs(3)), None).await;
    let left = a.user("student", "Ушедший").await;
    let other = a.chat(&teacher, &left).await;
    let id = a.send(&teacher, chat, "Прочитаешь до письма").await;
    a.send(&teacher, other, "Тебе уже не дойдёт").await;
    // Both emails written (due 3 s after their messages), then the one read, the other's
    // person gone: at their time, each is judged again and sent to nobody.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while emails(&a).await.len() < 2 {
        assert!(std::time::Instant::now() < deadline, "no emails written: {:?}", emails(&a).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(b.read(&student, chat, Some(id)).await.status(), 204);
    let admin = a.user("admin", "Завуч").await;
    let deactivate = a.http.post(a.url(&format!("/api/admin/users/{}/deactivate", left.id)));
    assert_eq!(deactivate.bearer_auth(&admin.token).send().await.expect("deactivate").status(), 204);
    server.none_for(Duration::from_secs(8)).await;
    let cancelled = ("instant".to_owned(), "cancelled".to_owned());
    assert_eq!(emails(&a).await, [cancelled.clone(), cancelled]);
}

#[tokio::test]
async fn quiet_hours_hold_an_email_until_they_end() {
    let mut server = SmtpServer::start().await;
    let now = OffsetDateTime::now_utc();
    let window =
        QuietHours { start: (now - time::Duration::hours(1)).time(), end: (now + time::Duration::hours(1)).time() };
    let (a, _b, teacher, student, chat) =
        school(notify(&server, EmailChoice::Instant, Duration::ZERO), Some(window)).await;
    // Students write as always; the teacher is emailed after the quiet hours.
    a.send(&student, chat, "Я не понял задачу 3").await;
    server.none_for(Duration::from_secs(6)).await;
    let row = a.sql.query_one("SELECT state, due_at FROM emails", &[]).await.expect("the teacher's email, waiting");
    let (state, due): (String, OffsetDateTime) = (row.get(0), row.get(1));
    assert_eq!(state, "pending");
    assert!(
        (due - (now + time::Duration::hours(1))).abs() < time::Duration::minutes(2),
        "due at the window's end: {due}"
    );
    let _ = teacher;
}

#[tokio::test]
async fn a_digest_gathers_the_days_unread_chats_in_one_email() {
    let mut server = SmtpServer::start().await;
    let (a, b, teacher, student, chat) = school(notify(&server, EmailChoice::Digest, Duration::ZERO), None).await;
    let colleague = a.user("teacher", "Ольга Сергеевна").await;
    let other = a.chat(&colleague, &student).await;
    // The school's own clock (the deployment's is UTC): Tokyo, UTC+9 all year; and its own
    // sender's name (the address stays SMTP_FROM's). Both replicas follow them before anything
    // is sent (either may claim the notices and send the email).
    let admin = a.user("admin", "Завуч").await;
    let zone = serde_json::json!({ "time_zone": "Asia/Tokyo", "email_sender": "Школа на Арбате" });
    let response = a.http.patch(a.url("/api/school/settings")).bearer_auth(&admin.token).json(&zone).send().await;
    assert_eq!(response.expect("PATCH").status(), 200);
    for _ in 0..100 {
        if b.state.school.time_zone() == "Asia/Tokyo" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(b.state.school.time_zone(), "Asia/Tokyo", "replica B follows within 10 s");
    a.send(&teacher, chat, "первое").await;
    b.send(&colleague, other, "второе").await;
    b.send(&teacher, chat, "третье").await;
    a.notices_written().await;
    // One digest waits, due at the next 18:00 on the school's clock: 09:00 UTC.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let due: OffsetDateTime = loop {
        let rows = a.sql.query("SELECT due_at FROM emails WHERE kind = 'digest'", &[]).await.expect("digest");
        if rows.len() == 1
            && a.sql.query("SELECT 1 FROM notices WHERE state = 'pending'", &[]).await.expect("n").is_empty()
        {
            break rows[0].get(0);
        }
        assert!(std::time::Instant::now() < deadline, "no digest: {:?}", emails(&a).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!((due.time(), due.offset()), (time::macros::time!(09:00), time::UtcOffset::UTC));
    assert!(due > OffsetDateTime::now_utc() && due - OffsetDateTime::now_utc() <= time::Duration::days(1));
    server.none_for(Duration::from_secs(2)).await;

    // The clock reaches 18:00: one email lists both chats and their unread counts.
    a.sql.execute("UPDATE emails SET due_at = now() WHERE kind = 'digest'", &[]).await.expect("due now");
    let mail = server.mail(Duration::from_secs(30)).await;
    assert_eq!(mail.rcpt_tos, [address(&a, &student).await]);
    assert!(mail.from.contains("Школа на Арбате") && mail.from.contains("<chat@school.test>"), "{mail:?}");
    assert!(mail.text.contains("Иван Петрович: 2") && mail.text.contains("Ольга Сергеевна: 1"), "{mail:?}");
    assert!(!mail.text.contains("первое"), "a digest lists chats, not texts: {mail:?}");
    server.none_for(Duration::from_secs(3)).await;
}

#[tokio::test]
async fn tls_to_the_mail_server_trusts_the_schools_authority_and_nothing_else() {
    for tls in [SmtpTls::StartTls, SmtpTls::Wrapper] {
        let mut server = SmtpServer::with_tls(tls).await;
        // Public authorities only: the certificate is refused, nothing is sent, the email waits.
        let untrusted = notify_trusting(&server, None, EmailChoice::Instant, Duration::ZERO);
        let (a, _b, teacher, _, chat) = school(untrusted, None).await;
        a.send(&teacher, chat, "Не по этому каналу").await;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let error = loop {
            let row = a.sql.query_opt("SELECT state, last_error FROM emails WHERE last_error IS NOT NULL", &[]).await;
            if let Some(row) = row.expect("emails") {
                assert_eq!(row.get::<_, String>(0), "pending", "{tls:?}: tried again later");
                break row.get::<_, String>(1);
            }
            assert!(std::time::Instant::now() < deadline, "{tls:?}: no attempt failed: {:?}", emails(&a).await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(error.contains("certificate") || error.contains("UnknownIssuer"), "{tls:?}: {error}");
        server.none_for(Duration::from_secs(1)).await;
        drop((a, _b));

        // With SMTP_CA_FILE naming the school's authority: delivered, encrypted.
        let (a, b, teacher, student, chat) = school(notify(&server, EmailChoice::Instant, Duration::ZERO), None).await;
        b.send(&teacher, chat, "По защищённому каналу 🔒").await;
        let mail = server.mail(Duration::from_secs(30)).await;
        assert_eq!(mail.rcpt_tos, [address(&a, &student).await], "{tls:?}");
        assert!(mail.text.contains("По защищённому каналу 🔒"), "{tls:?}: {mail:?}");
    }
}

#[tokio::test]
async fn a_mailbox_gets_a_few_emails_an_hour_however_many_write_and_one_about_new_inquiries() {
    use tutorchat::outbox::email::{INQUIRIES_PER_HOUR, INSTANT_PER_HOUR};
    let mut server = SmtpServer::start().await;
    let (a, _b, teacher, student, chat) = school(notify(&server, EmailChoice::Instant, Duration::ZERO), None).await;
    // Visitors open the teacher's link from addresses of their own, and students write: far
    // more than the hour's places, on both replicas' outboxes at once.
    let (status, link) = crate::inquiries::link(&a, &teacher, json!({ "title": "ЕГЭ" })).await;
    assert_eq!(status, 201, "{link}");
    let token = link["token"].as_str().expect("token");
    for n in 0..6 {
        let body = json!({ "name": format!("Гость {n}"), "message": "Есть места?" });
        let address = format!("203.0.113.{}", n + 1);
        let (status, opened, _) = crate::inquiries::visit_with(&a, token, body, Some(&address)).await;
        assert_eq!(status, 201, "{opened}");
    }
    a.send(&student, chat, "Я не поняла задачу").await;
    for n in 0..6 {
        let other = a.user("student", &format!("Ученик {n}")).await;
        let theirs = a.chat(&teacher, &other).await;
        a.send(&other, theirs, "Вопрос по домашнему заданию").await;
    }

    // The hour's places go, then nothing more: the rest wait in one digest.
    let mut mails = Vec::new();
    for _ in 0..INSTANT_PER_HOUR {
        mails.push(server.mail(Duration::from_secs(30)).await);
    }
    server.none_for(Duration::from_secs(5)).await;
    let about_inquiries = mails.iter().filter(|m| m.subject.contains("Гость")).count();
    assert_eq!(i64::try_from(about_inquiries).expect("small"), INQUIRIES_PER_HOUR, "{mails:#?}");
    let rows = a
        .sql
        .query("SELECT kind, state, due_at FROM emails WHERE user_id = $1 ORDER BY id", &[&teacher.id])
        .await
        .expect("emails");
    let count = |kind: &str, state: &str| {
        rows.iter().filter(|r| r.get::<_, &str>(0) == kind && r.get::<_, &str>(1) == state).count()
    };
    assert_eq!(
        (count("instant", "sent"), count("instant", "folded"), count("digest", "pending")),
        (4, 13 - 4, 1),
        "4 sent, the other 9 folded into one digest"
    );
    let digest: time::OffsetDateTime =
        rows.iter().find(|r| r.get::<_, &str>(0) == "digest").expect("the digest").get(2);
    let within = digest - OffsetDateTime::now_utc();
    assert!(
        within > time::Duration::minutes(55) && within <= time::Duration::hours(1),
        "due when a place frees: {within}"
    );
}

#[tokio::test]
async fn a_visitors_name_and_words_are_quoted_as_theirs_never_as_the_schools_lines() {
    let mut server = SmtpServer::start().await;
    let (a, _b, teacher, _student, _chat) = school(notify(&server, EmailChoice::Instant, Duration::ZERO), None).await;
    let (status, link) = crate::inquiries::link(&a, &teacher, json!({ "title": "ЕГЭ" })).await;
    assert_eq!(status, 201, "{link}");
    let token = link["token"].as_str().expect("token");
    // A name with line breaks is refused at the door.
    let forged = "P\r\nBcc: attacker@evil.example\r\n\r\nVerify at https://evil.example/login";
    let (status, refused, _) =
        crate::inquiries::visit_with(&a, token, json!({ "name": forged, "message": "x" }), None).await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("one line")), "{refused}");
    // Words with line breaks are quoted line by line, the visitor said to be one.
    let words = "Sign in at https://evil.example/reset\r\nOpen the chat: https://evil.example/chats/1";
    let (status, opened, _) =
        crate::inquiries::visit_with(&a, token, json!({ "name": "Мама Пети", "message": words }), None).await;
    assert_eq!(status, 201, "{opened}");
    let mail = server.mail(Duration::from_secs(30)).await;
    // The teacher chose no language: the school's, Russian only.
    assert_eq!(mail.subject, "Мама Пети (посетитель, не проверен) в «ЕГЭ»", "{mail:?}");
    let english = |l: &str| l.starts_with("Open the chat") || l.contains("unread") || l.contains("Unsubscribe");
    assert!(!mail.text.lines().any(english), "Russian only (the visitor's quoted words aside): {mail:?}");
    let lines: Vec<&str> = mail.text.lines().collect();
    for line in lines.iter().filter(|l| l.contains("evil.example")) {
        assert!(line.starts_with("> "), "a visitor's line not quoted: {line:?} in {:?}", mail.text);
    }
    assert!(lines.iter().any(|l| l.starts_with("Открыть чат: http://chat.school.test/chats/")), "{:?}", mail.text);
}

#[tokio::test]
async fn no_email_goes_to_someone_whose_erasure_was_asked_for() {
    let mut server = SmtpServer::start().await;
    let (a, _b, teacher, student, chat) =
        school(notify(&server, EmailChoice::Instant, Duration::from_secs(3)), None).await;
    a.send(&teacher, chat, "Напоминание о занятии").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while emails(&a).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "no email written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The erasure is asked for (its work has not run yet): the address is still there.
    a.sql
        .execute("UPDATE users SET erasure_requested_at = now() WHERE id = $1", &[&student.id])
        .await
        .expect("erasure asked for");
    server.none_for(Duration::from_secs(6)).await;
    assert_eq!(emails(&a).await, [("instant".to_owned(), "cancelled".to_owned())]);
}

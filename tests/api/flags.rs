//! Flags a moderator sees first: the school's words and phrases, matched in every form search
//! finds (Russian and English), flag a message as the system's report with the matched term,
//! without holding up or changing its delivery; a burst of a teacher's held messages to many
//! students' chats is flagged as they are delivered; a moderator clears a flag or acts on it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::macros::datetime;

use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, User, status_and_json};

async fn add_term(app: &TestApp, admin: &User, term: &str) -> (u16, Value) {
    let request =
        app.http.post(app.url("/api/admin/flag-terms")).bearer_auth(&admin.token).json(&json!({ "term": term }));
    status_and_json(request.send().await.expect("POST")).await
}

/// The open flags, once there are `n` of them (the flagger reads the log from behind).
async fn flags(app: &TestApp, admin: &User, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) =
            status_and_json(app.get("/api/admin/reports?kind=flag", admin).send().await.expect("GET")).await;
        assert_eq!(status, 200, "{body}");
        let flags = body["reports"].as_array().expect("reports").clone();
        if flags.len() >= n {
            return flags;
        }
        assert!(Instant::now() < deadline, "{} flags, not {n}: {flags:?}", flags.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_form_of_a_listed_word_or_phrase_is_flagged_once_and_delivered_as_ever() {
    let a = TestApp::spawn_with(|c| c.safeguarding.flag_every = Duration::from_millis(100)).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;

    // Admins keep the list: a search query each.
    assert_eq!(add_term(&a, &admin, "встретиться or встречаться").await.0, 201);
    let (status, phrase) = add_term(&a, &admin, "\"не говори родителям\"").await;
    assert_eq!((status, phrase["matches"].as_str()), (201, Some("'говор' <-> 'родител'")), "{phrase}");
    assert_eq!(add_term(&a, &admin, "meeting").await.0, 201);
    assert_eq!(add_term(&a, &admin, "meeting").await.0, 409);
    assert_eq!(add_term(&a, &admin, "и в the").await.0, 422, "stop words match nothing");
    assert_eq!(add_term(&a, &teacher, "что угодно").await.0, 403);

    let mut stream = a.stream(&student, None).await;
    let texts = [
        "Давай встретимся после уроков",     // встретиться, another form
        "Встречаемся у школы в пять",        // встречаться, another form
        "Только не говори родителям!",       // the phrase, in order
        "Родителям не говори, что я сказал", // the same words in another order: not the phrase
        "Let's meet on Friday",              // meeting → meet
        "Домашнее задание на завтра",        // nothing
    ];
    let mut ids = Vec::new();
    for text in texts {
        ids.push(a.send(&teacher, chat, text).await);
    }
    // Delivered at once and as written, whatever the flagger finds.
    for (id, text) in ids.iter().zip(texts) {
        let seen = stream.event().await;
        assert_eq!(
            (seen.json()["message"]["id"].as_i64(), seen.json()["message"]["content"].as_str()),
            (Some(*id), Some(text))
        );
    }
    let found = flags(&a, &admin, 4).await;
    let mut flagged: Vec<(i64, &str)> =
        found.iter().map(|f| (f["message"]["id"].as_i64().expect("id"), f["flag"].as_str().expect("flag"))).collect();
    flagged.sort();
    assert_eq!(
        flagged,
        [
            (ids[0], "встретиться or встречаться"),
            (ids[1], "встретиться or встречаться"),
            (ids[2], "\"не говори родителям\""),
            (ids[4], "meeting"),
        ]
    );
    assert!(found.iter().all(|f| f["reporter"].is_null() && f["resolution"].is_null()), "{found:?}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(flags(&a, &admin, 4).await.len(), 4, "each message is matched once");
    let (_, reports) =
        status_and_json(a.get("/api/admin/reports?kind=report", &admin).send().await.expect("GET")).await;
    assert_eq!(reports["reports"], json!([]), "people's reports are apart");

    // A moderator clears one and hides the message of another: both resolved.
    let id_of =
        |message: i64| found.iter().find(|f| f["message"]["id"] == message).expect("flag")["id"].as_i64().expect("id");
    let clear = a.http.post(a.url(&format!("/api/admin/reports/{}/clear", id_of(ids[4])))).bearer_auth(&admin.token);
    assert_eq!(clear.send().await.expect("POST").status(), 204);
    let hide = a
        .http
        .post(a.url(&format!("/api/admin/messages/{}/hide", ids[2])))
        .bearer_auth(&admin.token)
        .json(&json!({ "reason": "secrecy with a child" }));
    assert_eq!(hide.send().await.expect("POST").status(), 204);
    let (_, all) =
        status_and_json(a.get("/api/admin/reports?kind=flag&state=all", &admin).send().await.expect("GET")).await;
    let resolution = |message: i64| {
        all["reports"].as_array().expect("reports").iter().find(|f| f["message"]["id"] == message).expect("flag")["resolution"].clone()
    };
    assert_eq!(
        (resolution(ids[4]), resolution(ids[2]), resolution(ids[0])),
        (json!("cleared"), json!("hidden"), Value::Null)
    );
    assert_eq!(flags(&a, &admin, 2).await.len(), 2, "two still open");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_teachers_burst_of_held_messages_to_many_students_is_flagged_as_it_is_delivered() {
    let a = TestApp::spawn_with(|c| {
        c.safeguarding.quiet_hours = tutorchat::config::QuietHours::parse("21:00-08:00");
        c.safeguarding.school_timezone = "Europe/Moscow".into();
        c.safeguarding.release_every = Duration::from_millis(100);
        c.safeguarding.burst_chats = 3;
    })
    .await;
    let (teacher, admin) = (a.user("teacher", "Иван").await, a.user("admin", "Завуч").await);
    let mut chats = Vec::new();
    for name in ["Аня", "Боря", "Вера"] {
        chats.push(a.chat(&teacher, &a.user("student", name).await).await);
    }
    a.state.clock.set(datetime!(2036-11-25 20:30 UTC)); // 23:30 in Moscow
    for chat in &chats[..2] {
        assert_eq!(a.post_message(&teacher, *chat, "как дела?").await.status(), 202);
    }
    let (_, held) = status_and_json(a.get("/api/held-messages", &admin).send().await.expect("GET")).await;
    assert_eq!(held["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(a.post_message(&teacher, chats[2], "как дела?").await.status(), 202);

    a.state.clock.set(datetime!(2036-11-26 05:00:01 UTC));
    let found = flags(&a, &admin, 3).await;
    let mut flagged: Vec<i64> = found.iter().map(|f| f["chat"]["id"].as_i64().expect("chat")).collect();
    flagged.sort();
    assert_eq!(flagged, chats, "{found:?}");
    assert!(found.iter().all(|f| f["flag"].as_str().is_some_and(|flag| flag.starts_with("burst"))), "{found:?}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_message_edited_to_hold_a_listed_term_is_flagged_as_if_written_so() {
    let a = TestApp::spawn_with(|c| {
        c.append.editing = true;
        c.safeguarding.flag_every = Duration::from_millis(100);
    })
    .await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    assert_eq!(add_term(&a, &admin, "\"не говори родителям\"").await.0, 201);

    let harmless = a.send(&teacher, chat, "Давай встретимся после уроков").await;
    let flagged = a.send(&teacher, chat, "Только не говори родителям!").await;
    // Its flag: the flagger has read past the harmless message, as it was written.
    assert_eq!(flags(&a, &admin, 1).await[0]["message"]["id"], flagged);

    let edit = |id: i64, text: &'static str| {
        let a = &a;
        let teacher = &teacher;
        async move { assert_eq!(a.edit(teacher, id, text).await.status(), 200, "{text}") }
    };
    edit(harmless, "Давай встретимся после уроков, только не говори родителям").await;
    // A flagged message edited again with the same term is not flagged twice.
    edit(flagged, "Только не говори родителям, ладно?").await;
    // A text delivered, then taken back by another edit, was delivered all the same.
    let fleeting = a.send(&teacher, chat, "Увидимся в пятницу").await;
    edit(fleeting, "Увидимся в пятницу, не говори родителям").await;
    edit(fleeting, "Увидимся в пятницу").await;
    // The last message of the log: once it is flagged, every edit before it has been read.
    let last = a.send(&teacher, chat, "И снова: не говори родителям").await;

    let found = flags(&a, &admin, 4).await;
    let mut flagged_ids: Vec<(i64, &str)> =
        found.iter().map(|f| (f["message"]["id"].as_i64().expect("id"), f["flag"].as_str().expect("flag"))).collect();
    flagged_ids.sort();
    let term = "\"не говори родителям\"";
    assert_eq!(flagged_ids, [(harmless, term), (flagged, term), (fleeting, term), (last, term)]);
    let edited = found.iter().find(|f| f["message"]["id"] == harmless).expect("the edited message's flag");
    assert_eq!(edited["message"]["content"], "Давай встретимся после уроков, только не говори родителям");
    audit_is_clean(&a).await;
}

//! Who read a child's chat: every read of a chat by someone who takes no part in it (an admin's
//! history, export, search) leaves one access record, which the audit timeline, the admins'
//! report and the student's own `GET /api/me/readers` show; a participant's reads leave none; the
//! application's role can add records, never change or delete one; retention removes them with
//! the messages.

use serde_json::Value;

use crate::governance::{audit_is_clean, timeline};
use crate::helpers::{TestApp, User, status_and_json};

async fn get(app: &TestApp, path: &str, user: &User) -> (u16, Value) {
    status_and_json(app.get(path, user).send().await.expect("GET")).await
}

async fn records(app: &TestApp) -> Vec<(i64, i64, String)> {
    let rows = app
        .sql
        .query("SELECT chat_id, reader_id, via FROM access_records ORDER BY id", &[])
        .await
        .expect("access_records");
    rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
}

#[tokio::test]
async fn every_read_by_someone_outside_the_chat_leaves_one_record_the_student_can_see() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Петя").await);
    let admin = a.user("admin", "Завуч").await;
    let chat = a.chat(&teacher, &student).await;
    a.send(&teacher, chat, "контрольная в пятницу").await;

    // The participants' own reads are the chat: no record.
    assert_eq!(get(&a, &format!("/api/chats/{chat}/messages"), &student).await.0, 200);
    assert_eq!(get(&a, "/api/search?q=контрольная", &teacher).await.0, 200);
    assert_eq!(get(&a, &format!("/api/chats/{chat}/export"), &student).await.0, 200);
    assert!(records(&a).await.is_empty());

    // An admin's: one each, through what it was.
    assert_eq!(get(&a, &format!("/api/chats/{chat}/messages"), &admin).await.0, 200);
    assert_eq!(get(&a, &format!("/api/chats/{chat}/export"), &admin).await.0, 200);
    let (status, found) = get(&a, "/api/search?q=контрольная", &admin).await;
    assert_eq!((status, found["results"].as_array().map(Vec::len)), (200, Some(1)), "{found}");
    assert_eq!(get(&a, "/api/search?q=нигде", &admin).await.0, 200, "a search that finds nothing reads no chat");
    let by_admin = |via: &str| (chat, admin.id, via.to_owned());
    assert_eq!(records(&a).await, [by_admin("history"), by_admin("export"), by_admin("search")]);

    // The admins' report, newest first.
    let (status, report) = get(&a, &format!("/api/admin/access-records?chat_id={chat}"), &admin).await;
    assert_eq!(status, 200, "{report}");
    let vias: Vec<&str> =
        report["records"].as_array().expect("records").iter().map(|r| r["via"].as_str().expect("via")).collect();
    assert_eq!(vias, ["search", "export", "history"]);
    assert_eq!(report["records"][0]["reader"]["name"], "Завуч");
    assert_eq!(get(&a, "/api/admin/access-records", &teacher).await.0, 403);

    // The student asks which adults read their chats.
    let (status, readers) = get(&a, "/api/me/readers", &student).await;
    assert_eq!(status, 200, "{readers}");
    let readers = readers["readers"].as_array().expect("readers");
    assert_eq!(readers.len(), 3, "{readers:?}");
    assert!(readers.iter().all(|r| r["reader"]["name"] == "Завуч" && r["chat_id"] == chat && r["reads"] == 1));
    let (_, others) = get(&a, "/api/me/readers", &a.user("student", "Другой").await).await;
    assert_eq!(others["readers"], serde_json::json!([]), "nobody read another student's chats");

    // The audit timeline shows each read after what was there when it happened.
    let reads = timeline(&a, chat, "read_by_non_participant").await;
    assert_eq!(reads.len(), 3, "{reads:?}");
    assert!(reads[0].starts_with("read through history by Завуч (admin)"), "{reads:?}");
    audit_is_clean(&a).await;

    // The application's role adds, never changes or removes.
    for statement in
        ["UPDATE access_records SET via = 'search'", "DELETE FROM access_records", "TRUNCATE access_records"]
    {
        let refused = a.sql.batch_execute(&format!("SET ROLE tutorchat_app; {statement}")).await;
        a.sql.batch_execute("RESET ROLE").await.expect("reset");
        assert!(refused.is_err(), "{statement} was allowed");
    }
    assert_eq!(records(&a).await.len(), 3);
}

#[tokio::test]
async fn retention_removes_access_records_with_the_messages() {
    let _turn = crate::governance::one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| c.governance.retention = Some(time::Duration::days(30))).await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let admin = a.user("admin", "A").await;
    let chat = a.chat(&teacher, &student).await;
    a.send(&teacher, chat, "old").await;
    assert_eq!(get(&a, &format!("/api/chats/{chat}/messages"), &admin).await.0, 200);
    assert_eq!(records(&a).await.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let horizon = time::OffsetDateTime::now_utc();
    tutorchat::governance::retention::purge(&a.state, horizon).await.expect("purge");
    assert!(records(&a).await.is_empty(), "gone with the messages");
}

/// The stream records of `reader`, by chat, once there are `n` (the hub notes them, a job of
/// its own writes them).
async fn stream_records(app: &TestApp, reader: i64, n: usize) -> Vec<i64> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows = app
            .sql
            .query(
                "SELECT chat_id FROM access_records WHERE reader_id = $1 AND via = 'stream' ORDER BY chat_id",
                &[&reader],
            )
            .await
            .expect("access_records");
        let chats: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        if chats.len() >= n {
            return chats;
        }
        assert!(std::time::Instant::now() < deadline, "{} stream records, not {n}", chats.len());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_admins_stream_records_each_chat_it_carries_once_per_stream() {
    let a = TestApp::spawn().await;
    let teacher = a.user("teacher", "Иван").await;
    let (petya, masha, admin) =
        (a.user("student", "Петя").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let (first, second) = (a.chat(&teacher, &petya).await, a.chat(&teacher, &masha).await);
    let mut chats = [first, second];
    chats.sort();

    let mut live = a.stream(&admin, None).await;
    let _student = a.stream(&petya, None).await;
    a.send(&teacher, first, "раз").await;
    a.send(&teacher, first, "два").await;
    a.send(&teacher, second, "три").await;
    let seen: Vec<String> = live.events(3).await.iter().map(|e| e.event.clone()).collect();
    assert_eq!(seen, ["new_message", "new_message", "new_message"]);
    assert_eq!(stream_records(&a, admin.id, 2).await, chats, "one record per chat the stream carried");

    // Another stream, resumed from the start, replays both chats: recorded for it too.
    let mut resumed = a.stream(&admin, Some("0")).await;
    resumed.events(5).await; // two chats opened, three messages
    let mut twice = chats.iter().flat_map(|c| [*c, *c]).collect::<Vec<_>>();
    twice.sort();
    assert_eq!(stream_records(&a, admin.id, 4).await, twice);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(stream_records(&a, admin.id, 4).await.len(), 4, "and no more");
    let others: i64 = a
        .sql
        .query_one("SELECT count(*) FROM access_records WHERE reader_id <> $1", &[&admin.id])
        .await
        .expect("count")
        .get(0);
    assert_eq!(others, 0, "a participant's stream is no read of someone else's chat");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_admins_or_a_guardians_download_of_a_childs_file_is_recorded_a_participants_is_not() {
    use crate::attachments::{send_with, uploaded};
    use crate::guardians::set_link;

    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Мария").await);
    let (admin, guardian) = (a.user("admin", "Завуч").await, a.user("guardian", "Елена").await);
    let chat = a.chat(&teacher, &student).await;
    assert_eq!(set_link(&a, &admin, guardian.id, student.id, true).await.0, 201);
    let file = uploaded(&a, &student, chat, "diary.txt", b"dear diary").await;
    assert_eq!(send_with(&a, &student, chat, "", &[file]).await.0, 201);
    let download = |user: &User| {
        let request = a.get(&format!("/api/attachments/{file}"), user);
        async move { request.send().await.expect("GET attachment").status().as_u16() }
    };

    // The participants' own downloads are the chat: no record.
    assert_eq!((download(&student).await, download(&teacher).await), (200, 200));
    assert!(records(&a).await.is_empty());

    assert_eq!((download(&admin).await, download(&guardian).await), (200, 200));
    let attachment = |reader: &User| (chat, reader.id, "attachment".to_owned());
    assert_eq!(records(&a).await, [attachment(&admin), attachment(&guardian)]);
    let (status, report) = get(&a, &format!("/api/admin/access-records?chat_id={chat}"), &admin).await;
    assert_eq!(status, 200, "{report}");
    let vias: Vec<&str> =
        report["records"].as_array().expect("records").iter().map(|r| r["via"].as_str().expect("via")).collect();
    assert_eq!(vias, ["attachment", "attachment"]);

    // The child sees who downloaded their file.
    let (status, readers) = get(&a, "/api/me/readers", &student).await;
    assert_eq!(status, 200, "{readers}");
    let mut seen: Vec<(&str, &str)> = readers["readers"]
        .as_array()
        .expect("readers")
        .iter()
        .map(|r| (r["reader"]["name"].as_str().expect("name"), r["via"].as_str().expect("via")))
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [("Елена", "attachment"), ("Завуч", "attachment")]);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_guardians_chat_list_quoting_a_childs_chat_is_recorded_once_per_listing() {
    use crate::guardians::set_link;

    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Мария").await);
    let (admin, guardian) = (a.user("admin", "Завуч").await, a.user("guardian", "Елена").await);
    let chat = a.chat(&teacher, &student).await;
    assert_eq!(set_link(&a, &admin, guardian.id, student.id, true).await.0, 201);
    a.send(&student, chat, "preview-only text").await;

    // The chat's last message is quoted: a read of the chat.
    let (status, list) = get(&a, "/api/chats", &guardian).await;
    assert_eq!(status, 200, "{list}");
    let quoted = list["chats"].as_array().expect("chats").iter().find(|c| c["id"] == chat).expect("the chat");
    assert_eq!(quoted["last_message"]["content"], "preview-only text");
    let listing = (chat, guardian.id, "chat_list".to_owned());
    assert_eq!(records(&a).await, std::slice::from_ref(&listing));
    assert_eq!(get(&a, "/api/chats", &guardian).await.0, 200);
    assert_eq!(records(&a).await, [listing.clone(), listing], "one record per listing");

    // The participants' own lists are not reads of anyone else's chat.
    assert_eq!(get(&a, "/api/chats", &student).await.0, 200);
    assert_eq!(get(&a, "/api/chats", &teacher).await.0, 200);
    assert_eq!(records(&a).await.len(), 2);
    let (_, readers) = get(&a, "/api/me/readers", &student).await;
    assert_eq!(readers["readers"][0]["via"], "chat_list", "{readers}");
    assert_eq!(readers["readers"][0]["reads"], 2, "{readers}");
    audit_is_clean(&a).await;
}

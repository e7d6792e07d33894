//! Upload allowances (issue 35): a file's length is reserved in PostgreSQL before it streams,
//! so parallel uploads on several replicas store at most the allowance, and a failed upload
//! gives its reservation back; guests have a small allowance of their own, and share one per
//! inquiry link and one per teacher; a closed chat takes no upload; guests' unattached uploads
//! are swept sooner and still count; file names lose their format characters.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tutorchat::config::StorageBackend;
use tutorchat::uploads::{OrphanAges, sweep, sweep_orphans};

use super::{PNG, age_uploads, send_with, sha256, upload, uploaded};
use crate::helpers::{Pair, TestApp, User, pair, status_and_json, walk};
use crate::inquiries::{link, visit};

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

/// A new inquiry link of `teacher`: its token.
async fn new_link(app: &TestApp, teacher: &User, title: &str) -> String {
    let (status, created) = link(app, teacher, json!({ "title": title })).await;
    assert_eq!(status, 201, "{created}");
    created["token"].as_str().expect("token").to_owned()
}

/// A visitor who opens the link `token`: the guest and their chat.
async fn guest(app: &TestApp, token: &str, name: &str) -> (User, i64) {
    let (status, opened, _) = visit(app, token, name).await;
    assert_eq!(status, 201, "{opened}");
    let user =
        User { id: opened["user"]["id"].as_i64().expect("id"), token: opened["token"].as_str().expect("t").into() };
    (user, opened["chat_id"].as_i64().expect("chat"))
}

/// What is stored: rows and bytes in `attachments`, files among the blobs, and temporary files.
async fn stored(app: &TestApp) -> (i64, i64, usize, usize) {
    let row = app
        .sql
        .query_one("SELECT count(*), coalesce(sum(size), 0)::bigint FROM attachments", &[])
        .await
        .expect("count");
    let StorageBackend::Local(dir) = &app.state.config.storage.backend else { panic!("local storage") };
    (row.get(0), row.get(1), walk(&dir.join("blobs")).len(), walk(&dir.join("tmp")).len())
}

/// How many reservations (claims of uploads still streaming) the database holds.
async fn reservations(app: &TestApp) -> i64 {
    app.sql.query_one("SELECT count(*) FROM upload_claims WHERE stored_at IS NULL", &[]).await.expect("count").get(0)
}

/// Waits until the database holds `n` reservations (a state, not a time: 30 s at most).
async fn until_reservations(app: &TestApp, n: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while reservations(app).await != n {
        assert!(tokio::time::Instant::now() < deadline, "the database never held {n} reservations");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn parallel_uploads_on_two_replicas_store_at_most_the_allowance() {
    const ALLOWANCE: u64 = 1024 * 1024;
    let a = TestApp::spawn_with(|c| c.storage.daily_bytes_per_user = ALLOWANCE).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.storage.daily_bytes_per_user = ALLOWANCE).await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;

    // Ten different files of 600 KiB, at once, half through each replica: one fits in 1 MiB.
    let files: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 600 * 1024]).collect();
    let uploads = files.iter().enumerate().map(|(i, bytes)| {
        let replica = if i % 2 == 0 { &a } else { &b };
        upload(replica, &student, chat, "part.bin", bytes)
    });
    let answers = futures::future::join_all(uploads).await;
    for (status, body) in &answers {
        assert!(*status == 201 || *status == 429, "{status}: {body}");
    }
    let accepted = answers.iter().filter(|(status, _)| *status == 201).count();
    let (rows, bytes, blobs, temporary) = stored(&a).await;
    assert!(bytes as u64 <= ALLOWANCE, "{bytes} bytes stored under an allowance of {ALLOWANCE}");
    assert_eq!((accepted, rows, blobs), (1, 1, 1), "one file fits, and only it is stored: {answers:?}");
    assert_eq!(temporary, 0, "the refused uploads left no temporary file");
    assert_eq!(reservations(&a).await, 0, "every refused upload gave its reservation back");
}

#[tokio::test]
async fn guests_have_a_small_allowance_and_share_one_per_link_and_one_per_teacher() {
    let a = TestApp::spawn_with(|c| {
        c.storage.daily_bytes_per_guest = 1_000;
        c.storage.daily_bytes_per_link = 2_500;
        c.storage.daily_bytes_per_host = 4_000;
    })
    .await;
    let teacher = a.user("teacher", "Иван").await;
    let (first_link, second_link) = (new_link(&a, &teacher, "ЕГЭ").await, new_link(&a, &teacher, "ОГЭ").await);

    // A guest's own allowance: 1,000 bytes, not a user's 500 MiB.
    let (masha, masha_chat) = guest(&a, &first_link, "Маша").await;
    uploaded(&a, &masha, masha_chat, "1.bin", &[1; 1_000]).await;
    let (status, body) = upload(&a, &masha, masha_chat, "2.bin", b"x").await;
    assert_eq!(status, 429, "{body}");
    assert!(error(&body).contains("as a guest"), "{body}");

    // Each new guest of the link has their own, but the link's 2,500 bytes are shared.
    let (petya, petya_chat) = guest(&a, &first_link, "Петя").await;
    uploaded(&a, &petya, petya_chat, "3.bin", &[3; 1_000]).await;
    let (vasya, vasya_chat) = guest(&a, &first_link, "Вася").await;
    let (status, body) = upload(&a, &vasya, vasya_chat, "4.bin", &[4; 1_000]).await;
    assert_eq!(status, 429, "{body}");
    assert!(error(&body).contains("this inquiry link"), "{body}");
    uploaded(&a, &vasya, vasya_chat, "5.bin", &[5; 500]).await; // what is left of the link's
    let (late, late_chat) = guest(&a, &first_link, "Поздний").await;
    let (status, body) = upload(&a, &late, late_chat, "6.bin", b"y").await;
    assert_eq!(status, 429, "{body}");
    assert!(error(&body).contains("this inquiry link share is used up"), "{body}");

    // Another link of the same teacher has a link allowance of its own, but the teacher's
    // 4,000 bytes are shared by the guests of all their links (2,500 used so far).
    let (kolya, kolya_chat) = guest(&a, &second_link, "Коля").await;
    uploaded(&a, &kolya, kolya_chat, "7.bin", &[7; 1_000]).await;
    let (olya, olya_chat) = guest(&a, &second_link, "Оля").await;
    let (status, body) = upload(&a, &olya, olya_chat, "8.bin", &[8; 1_000]).await;
    assert_eq!(status, 429, "{body}");
    assert!(error(&body).contains("this teacher's inquiry links"), "{body}");

    // The teacher's own uploads, to the same chats, count against their own allowance only.
    uploaded(&a, &teacher, olya_chat, "9.bin", &[9; 1_000]).await;

    let guests: i64 = a
        .sql
        .query_one(
            "SELECT coalesce(sum(a.size), 0)::bigint FROM attachments a JOIN users u ON u.id = a.uploader_id
             WHERE u.role = 'guest'",
            &[],
        )
        .await
        .expect("sum")
        .get(0);
    assert_eq!(guests, 3_500, "the guests stored what fit, and nothing more");
    assert_eq!(reservations(&a).await, 0);
}

#[tokio::test]
async fn a_closed_chat_takes_no_upload() {
    let a = TestApp::spawn().await;
    let teacher = a.user("teacher", "T").await;
    let token = new_link(&a, &teacher, "Курсы").await;
    let (visitor, chat) = guest(&a, &token, "Гость").await;
    uploaded(&a, &visitor, chat, "before.png", PNG).await;
    let closed = tutorchat::governance::close_idle(&a.state, Duration::ZERO).await.expect("close");
    assert_eq!(closed, 1);

    let (status, body) = upload(&a, &teacher, chat, "after.txt", b"too late").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error(&body), format!("chat {chat} is closed: it is read-only"));
    // The guest's session ended with the chat.
    let (status, body) = upload(&a, &visitor, chat, "after.txt", b"too late").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(stored(&a).await.0, 1, "nothing was stored after the chat closed");
    assert_eq!(reservations(&a).await, 0);
    // The database refuses it too, whichever replica asks and however late it learnt.
    let refused: Option<String> = a
        .sql
        .query_one(
            "SELECT limited_by FROM upload_reserve($1, $2, 100, interval '1 minute', 1000, 1000, 1000, 1000)",
            &[&visitor.id, &chat],
        )
        .await
        .expect("reserve")
        .get(0);
    assert_eq!(refused.as_deref(), Some("closed"));
    assert_eq!(reservations(&a).await, 0);
}

#[tokio::test]
async fn a_guest_s_unattached_uploads_are_swept_sooner_and_still_count() {
    let a = TestApp::spawn_with(|c| c.storage.daily_bytes_per_guest = 1_000).await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let direct = a.chat(&teacher, &student).await;
    let token = new_link(&a, &teacher, "Курсы").await;
    let (visitor, chat) = guest(&a, &token, "Гость").await;
    let sent = uploaded(&a, &visitor, chat, "sent.txt", b"guest, attached").await;
    assert_eq!(send_with(&a, &visitor, chat, "", &[sent]).await.0, 201);
    let orphan = uploaded(&a, &visitor, chat, "orphan.bin", &[9; 900]).await;
    let draft = uploaded(&a, &student, direct, "draft.txt", b"student, unattached").await;
    age_uploads(&a, &[sent, orphan, draft], "2 hours").await;

    let ages = OrphanAges { others: Duration::from_secs(24 * 3600), guests: Duration::from_secs(3600) };
    let deleted = sweep_orphans(&a.state.db, &a.state.storage, ages).await.expect("sweep");
    assert_eq!(deleted, 1, "only the guest's unattached upload is old enough");
    assert!(!a.state.storage.has(&sha256(&[9; 900])).await.expect("head"), "its bytes are gone");
    assert!(a.state.storage.has(&sha256(b"student, unattached")).await.expect("head"), "a student's waits a day");
    assert!(a.state.storage.has(&sha256(b"guest, attached")).await.expect("head"), "an attached one stays");

    // Sweeping gives nothing back: 15 + 900 of the guest's 1,000 bytes count for 24 hours.
    let (status, body) = upload(&a, &visitor, chat, "again.bin", &[9; 900]).await;
    assert_eq!(status, 429, "{body}");
    uploaded(&a, &visitor, chat, "fits.txt", b"85 bytes left").await;

    // The defaults: a guest's orphans go after an hour, everyone else's after a day.
    let defaults = tutorchat::config::StorageConfig::local("x".into());
    assert_eq!((defaults.guest_orphan_after, defaults.orphan_after), (ages.guests, ages.others));
}

/// Starts an upload of a 1,000-byte file through a bare connection, sends 300 bytes of it, waits
/// until the replica has reserved it, and goes away.
async fn cut_off_upload(app: &TestApp, user: &User, chat: i64) {
    let head = format!(
        "POST /api/chats/{chat}/attachments HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
         content-type: multipart/form-data; boundary=cut\r\ncontent-length: 1200\r\n\r\n\
         --cut\r\ncontent-disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\r\n",
        app.addr, user.token
    );
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    socket.write_all(head.as_bytes()).await.expect("head");
    socket.write_all(&[0u8; 300]).await.expect("some of the file");
    until_reservations(app, 1).await;
    drop(socket);
}

#[tokio::test]
async fn a_reservation_is_given_back_when_its_upload_fails_is_cut_off_or_expires() {
    let a = TestApp::spawn_with(|c| {
        c.storage.max_file_bytes = 1_000;
        c.storage.daily_bytes_per_user = 2_000;
    })
    .await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;

    // Refused as too large: its reservation (1,000 bytes) is given back before the answer.
    assert_eq!(upload(&a, &student, chat, "big.bin", &[1; 1_001]).await.0, 413);
    assert_eq!(reservations(&a).await, 0);
    // Cut off by the client mid-way: given back once the replica sees the body end.
    cut_off_upload(&a, &student, chat).await;
    until_reservations(&a, 0).await;

    // Left by a replica that died mid-upload (as the owner: a reservation of the whole
    // allowance): it counts until it expires, then not at all.
    a.sql
        .execute(
            "INSERT INTO upload_claims (uploader_id, bytes, counted_until) VALUES ($1, 2000, now() + interval '15 minutes')",
            &[&student.id],
        )
        .await
        .expect("a reservation");
    let (status, body) = upload(&a, &student, chat, "1.bin", &[1; 1_000]).await;
    assert_eq!(status, 429, "{body}");
    a.sql
        .execute("UPDATE upload_claims SET counted_until = now() - interval '1 second' WHERE stored_at IS NULL", &[])
        .await
        .expect("expire it");

    // Nothing leaked: the whole allowance is there, and no more.
    uploaded(&a, &student, chat, "1.bin", &[1; 1_000]).await;
    uploaded(&a, &student, chat, "2.bin", &[2; 1_000]).await;
    let (status, body) = upload(&a, &student, chat, "3.bin", b"z").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(stored(&a).await, (2, 2_000, 2, 0));
    // The sweep forgets the expired reservation; the stored uploads' claims stay.
    sweep(&a.state.db, &a.state.storage, Duration::from_secs(24 * 3600)).await.expect("sweep");
    let claims: Vec<(bool, i64)> = a
        .sql
        .query("SELECT stored_at IS NOT NULL, bytes FROM upload_claims ORDER BY id", &[])
        .await
        .expect("claims")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(claims, [(true, 1_000), (true, 1_000)]);
}

#[tokio::test]
async fn a_file_name_keeps_no_bidirectional_override_or_invisible_character() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    // U+202E would show this as "invoiceexe.jpg".
    let (status, body) = upload(&a, &student, chat, "invoice\u{202E}gpj.exe", b"MZ, not an image").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "invoicegpj.exe");
    let disguised = body["id"].as_i64().expect("id");
    let (status, body) =
        upload(&a, &student, chat, "\u{200B}\u{FEFF}отчёт\u{2066}\u{00AD}\u{061C}.pdf\u{200F}", b"%PDF-1.7\n").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "отчёт.pdf");
    let report = body["id"].as_i64().expect("id");

    let names: Vec<String> = a
        .sql
        .query("SELECT name FROM attachments ORDER BY id", &[])
        .await
        .expect("names")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["invoicegpj.exe", "отчёт.pdf"], "as stored");
    assert_eq!(send_with(&a, &student, chat, "", &[disguised, report]).await.0, 201);
    let response = a.get(&format!("/api/attachments/{disguised}"), &teacher).send().await.expect("download");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"invoicegpj.exe\"; filename*=UTF-8''invoicegpj.exe"
    );
    let (status, history) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &teacher).send().await.expect("history")).await;
    assert_eq!(status, 200);
    let shown = &history["messages"].as_array().and_then(|m| m.last()).expect("the message")["attachments"];
    assert_eq!((shown[0]["name"].as_str(), shown[1]["name"].as_str()), (Some("invoicegpj.exe"), Some("отчёт.pdf")));
}

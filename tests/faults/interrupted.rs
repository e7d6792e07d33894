//! Work a killed replica held: its users' presence, an upload half received, a notice half delivered.

use std::time::{Duration, Instant};

use crate::helpers;
use crate::support::{self, Cluster};

/// 7. Presence through `kill -9`: a student's only stream is on the replica that dies; the
/// teacher, streaming from another replica, sees her go offline within the lease (plus one
/// renewal period), with `last_seen` no later than the kill; the restarted replica (a new
/// lease) leaves no ghost online, and she is online again when she reconnects.
#[tokio::test]
async fn presence_survives_a_killed_replica_within_the_lease() {
    let _serial = support::serial().await;
    const LEASE_SECS: u64 = 4;
    let cluster = Cluster::start(&[("PRESENCE_LEASE_SECS", "4"), ("PRESENCE_GRACE_SECS", "1")]).await;
    let (student, teacher) = (cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone());
    let http = reqwest::Client::new();
    let stream_url = |i: usize| format!("{}/api/events/chat", cluster.replica_url(i));
    let mut watching = helpers::open_stream(&http, &stream_url(1), &teacher.token, None).await;
    let doomed = helpers::open_stream(&http, &stream_url(0), &student.token, None).await;
    let online = next_presence(&mut watching, Duration::from_secs(10)).await;
    assert_eq!((online["user_id"].as_i64(), online["online"].as_bool()), (Some(student.id), Some(true)));

    let killed = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    cluster.topology(|t| t.kill_replica(0)).await;
    let bound = Duration::from_secs(LEASE_SECS + LEASE_SECS / 4 + 2);
    let offline = next_presence(&mut watching, bound).await;
    eprintln!("kill -9: offline announced {:?} after the kill (lease {LEASE_SECS} s)", started.elapsed());
    assert_eq!((offline["user_id"].as_i64(), offline["online"].as_bool()), (Some(student.id), Some(false)));
    let last_seen = time::OffsetDateTime::parse(
        offline["last_seen"].as_str().expect("last_seen"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    assert!(last_seen <= killed, "last seen at the dead replica's last renewal, before the kill: {last_seen}");
    drop(doomed);

    cluster.topology(|t| t.start_replica(0)).await;
    let ask = |i: usize| {
        http.get(format!("{}/api/presence/{}", cluster.replica_url(i), student.id)).bearer_auth(&teacher.token).send()
    };
    let answer: serde_json::Value = ask(0).await.expect("GET").json().await.expect("json");
    assert_eq!(answer["online"], false, "no ghost after the restart: {answer}");
    let _back = helpers::open_stream(&http, &stream_url(0), &student.token, None).await;
    let online = next_presence(&mut watching, Duration::from_secs(10)).await;
    assert_eq!(online["online"], true);
    let answer: serde_json::Value = ask(2).await.expect("GET").json().await.expect("json");
    assert_eq!(answer["online"], true, "{answer}");
}

/// The next `presence` event's data, waiting at most `within` in all.
async fn next_presence(stream: &mut helpers::Stream, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no presence event within {within:?}");
        let event = stream.any_event_within(left).await;
        if event.event == "presence" {
            return event.json();
        }
    }
}

/// 15. `kill -9` of a replica in the middle of an upload: the half-received file is never
/// recorded (its row is written only once its bytes are stored), so no attached file lacks its
/// bytes; what the upload left behind is a temporary object, which the sweep removes.
#[tokio::test]
async fn a_replica_killed_mid_upload_leaves_no_attached_file_without_its_bytes() {
    let _serial = support::serial().await;
    let files = std::env::temp_dir().join(format!("tutorchat-faults-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&files);
    let cluster = Cluster::start(&[("STORAGE_DIR", files.to_str().expect("utf-8 path"))]).await;
    let (chat, student, teacher) =
        (cluster.pair(0).chat, cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone());
    let http = reqwest::Client::new();
    let upload = |base: &str, name: &str, bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        http.post(format!("{base}/api/chats/{chat}/attachments"))
            .bearer_auth(&student.token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    // A whole upload, attached, through nginx.
    let whole: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    let answer: serde_json::Value =
        upload(&cluster.url, "whole.bin", whole.clone()).await.expect("upload").json().await.expect("json");
    let attached = answer["id"].as_i64().expect("id");
    let sent = http
        .post(format!("{}/api/messages", cluster.url))
        .bearer_auth(&student.token)
        .json(&serde_json::json!({ "chat_id": chat, "content": "", "attachment_ids": [attached] }))
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), 201);

    // Another to replica 0 directly, which stops halfway: 2 MiB of a file announced as more.
    let (feed, body) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    let mut feed = feed;
    let boundary = "tutorchat-fault-boundary";
    let request = http
        .post(format!("{}/api/chats/{chat}/attachments", cluster.replica_url(0)))
        .bearer_auth(&student.token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let in_flight = tokio::spawn(request);
    use futures::SinkExt;
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    feed.send(Ok(head.into_bytes())).await.expect("feed");
    for _ in 0..2 {
        feed.send(Ok(vec![9u8; 1024 * 1024])).await.expect("feed");
    }
    let temporary = files.join("tmp");
    let deadline = Instant::now() + Duration::from_secs(20);
    while helpers::walk(&temporary).iter().all(|f| std::fs::metadata(f).map_or(0, |m| m.len()) == 0) {
        assert!(Instant::now() < deadline, "the upload never reached storage");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.topology(|t| t.kill_replica(0)).await;
    let outcome = in_flight.await.expect("task");
    assert!(
        outcome.is_err() || outcome.is_ok_and(|r| !r.status().is_success()),
        "the killed upload was not acknowledged"
    );
    drop(feed);

    let sql = cluster.sql().await;
    let rows = sql.query("SELECT id, sha256, message_id FROM attachments ORDER BY id", &[]).await.expect("rows");
    assert_eq!(rows.len(), 1, "only the whole upload is recorded");
    for row in &rows {
        let sha: String = row.get("sha256");
        assert!(
            files.join("blobs").join(&sha[..2]).join(&sha).is_file(),
            "attachment {} has its bytes",
            row.get::<_, i64>("id")
        );
    }
    assert!(!helpers::walk(&temporary).is_empty(), "the killed upload left a temporary object");

    // The sweep removes it (any age, here) and keeps the attached file.
    let storage =
        tutorchat::storage::Storage::open(&tutorchat::config::StorageConfig::local(files.clone())).expect("storage");
    let pool = tutorchat::db::connect(cluster.database(), 2).await.expect("pool");
    tutorchat::uploads::sweep(&pool, &storage, Duration::ZERO).await.expect("sweep");
    assert!(helpers::walk(&temporary).is_empty(), "{:?}", helpers::walk(&temporary));
    cluster.topology(|t| t.start_replica(0)).await;
    let download = http
        .get(format!("{}/api/attachments/{attached}", cluster.replica_url(0)))
        .bearer_auth(&teacher.token)
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.expect("bytes").to_vec(), whole);
    let _ = std::fs::remove_dir_all(&files);
}

/// 16. `kill -9` of the replica delivering an offline notice, after it claimed the notice and
/// while the webhook has not answered: another replica sends it again once the claim's lease
/// runs out, with the same notice id, and it is delivered.
#[tokio::test]
async fn a_notice_whose_replica_dies_mid_delivery_is_delivered_by_another_with_the_same_id() {
    let _serial = support::serial().await;
    let (receiver, url) = helpers::Receiver::start().await;
    receiver.hanging.store(true, std::sync::atomic::Ordering::SeqCst);
    let cluster = Cluster::start(&[
        ("NOTIFY_WEBHOOK_URL", url.as_str()),
        ("NOTIFY_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("NOTIFY_GRACE_SECS", "1"),
        ("NOTIFY_LEASE_SECS", "4"),
    ])
    .await;
    // Replica 0 alone delivers the notice at first.
    cluster.topology(|t| t.kill_replica(1).and_then(|()| t.kill_replica(2))).await;
    let (chat, student, teacher) =
        (cluster.pair(0).chat, cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone());
    let sent = reqwest::Client::new()
        .post(format!("{}/api/messages", cluster.replica_url(0)))
        .bearer_auth(&student.token)
        .json(&serde_json::json!({ "chat_id": chat, "content": "Вы здесь?" }))
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), 201);

    let first = receiver.wait_for(1, Duration::ZERO).await;
    assert_eq!(first.len(), 1, "replica 0 claimed the notice and called the webhook");
    cluster.topology(|t| t.kill_replica(0)).await;
    receiver.hanging.store(false, std::sync::atomic::Ordering::SeqCst);
    cluster.topology(|t| t.start_replica(1).and_then(|()| t.start_replica(2))).await;

    let calls = receiver.wait_for(2, Duration::from_secs(2)).await;
    assert_eq!(calls.len(), 2, "sent again once, after the lease: {calls:?}");
    assert_eq!(calls[1].id, calls[0].id, "the same notice id");
    assert_eq!(calls[1].json()["message_id"], calls[0].json()["message_id"]);
    assert_eq!(calls[1].json()["user_id"], teacher.id);
    let row = cluster.sql().await.query_one("SELECT state, attempts FROM notices", &[]).await.expect("notice");
    assert_eq!((row.get::<_, String>(0), row.get::<_, i32>(1)), ("delivered".to_owned(), 2));
}

//! Offline notices across a killed replica: they are written from the log after the message's
//! commit (`notices_fan_out`), by whichever replica's worker comes next, so the one that took
//! the message may die before any notice of it exists: another writes it, and it is sent once.

use std::time::Duration;

use crate::helpers;
use crate::support::{self, Cluster};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// 21. A message committed through replica 0 while no replica may fan out (the test holds the
/// fan-out's advisory lock, as a replica inside it would); replica 0 is killed before any notice
/// of it is written. Once the lock is free, another replica writes the notice and the webhook
/// gets it exactly once, also after replica 0 is back.
#[tokio::test]
async fn a_notice_is_sent_once_when_the_replica_that_took_its_message_dies_before_the_fan_out() {
    let _serial = support::serial().await;
    let (receiver, url) = helpers::Receiver::start().await;
    let env = [("NOTIFY_WEBHOOK_URL", url.as_str()), ("NOTIFY_WEBHOOK_SECRET", SECRET), ("NOTIFY_GRACE_SECS", "1")];
    let cluster = Cluster::start(&env).await;
    let (teacher, student, chat) =
        (cluster.pair(0).teacher.clone(), cluster.pair(0).student.clone(), cluster.pair(0).chat);

    let mut sql = cluster.sql().await;
    let hold = sql.transaction().await.expect("begin");
    hold.execute("SELECT pg_advisory_xact_lock(1953854575, 7)", &[]).await.expect("the fan-out's lock");

    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/api/messages", cluster.replica_url(0)))
        .bearer_auth(&student.token)
        .json(&serde_json::json!({ "chat_id": chat, "content": "Задача 5: не получается" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201, "the append waits for no notice");
    let message = response.json::<serde_json::Value>().await.expect("JSON")["id"].as_i64().expect("id");
    tokio::time::sleep(Duration::from_millis(1500)).await; // every worker has had a round, and its grace
    cluster.topology(|t| t.kill_replica(0)).await;
    let written: i64 = hold.query_one("SELECT count(*) FROM notices", &[]).await.expect("count").get(0);
    assert_eq!(written, 0, "no notice is written while the fan-out is held");
    hold.rollback().await.expect("release");

    let calls = receiver.wait_for(1, Duration::from_secs(2)).await;
    assert_eq!(calls.len(), 1, "one call: {calls:?}");
    let body = calls[0].json();
    assert_eq!((body["user_id"].as_i64(), body["message_id"].as_i64()), (Some(teacher.id), Some(message)));
    assert_eq!(body["count"], 1);

    cluster.topology(|t| t.start_replica(0)).await;
    tokio::time::sleep(Duration::from_secs(3)).await; // the restarted replica's worker has looked
    assert_eq!(receiver.calls().len(), 1, "nothing sent twice: {:?}", receiver.calls());
    let rows = sql.query("SELECT state, count FROM notices", &[]).await.expect("notices");
    let states: Vec<(String, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(states, [("delivered".to_owned(), 1)], "one notice, for one message");
}

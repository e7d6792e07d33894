//! Scheduled send across a killed replica: every replica runs the sender; the one that took
//! the messages in dies (`kill -9`) at their time; each is sent exactly once by the others.

use std::collections::HashMap;
use std::time::Duration;

use crate::helpers;
use crate::support::{self, Cluster};

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("format")
}

/// 13. Thirty messages scheduled through replica 0 for the same few hundred milliseconds;
/// replica 0 is killed as they come due (while its sender may be inside a send's
/// transaction). Every stream on the other replicas gets each message exactly once, the log
/// holds each once, every row is marked sent, and the restarted replica sends nothing again.
#[tokio::test]
async fn scheduled_messages_are_sent_exactly_once_across_a_replica_killed_at_their_time() {
    let _serial = support::serial().await;
    let cluster = Cluster::start(&[]).await;
    let (teacher, student, chat) =
        (cluster.pair(0).teacher.clone(), cluster.pair(0).student.clone(), cluster.pair(0).chat);
    let http = reqwest::Client::new();
    let mut streams = Vec::new();
    for i in [1, 2] {
        let url = format!("{}/api/events/chat", cluster.replica_url(i));
        streams.push(helpers::open_stream(&http, &url, &student.token, None).await);
    }

    const COUNT: usize = 30;
    let due = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
    for i in 0..COUNT {
        let send_at = rfc3339(due + time::Duration::milliseconds(10 * i as i64));
        let response = http
            .post(format!("{}/api/messages", cluster.replica_url(0)))
            .bearer_auth(&teacher.token)
            .json(&serde_json::json!({ "chat_id": chat, "content": format!("scheduled {i}"), "send_at": send_at }))
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 202, "scheduled {i}");
    }
    let wait = due - time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()).await;
    cluster.topology(|t| t.kill_replica(0)).await;

    // Each stream: every message once, then the marker (nothing of them after it).
    for (i, stream) in streams.iter_mut().enumerate() {
        let mut seen: HashMap<String, usize> = HashMap::new();
        while seen.len() < COUNT {
            let event = stream.event_within(Duration::from_secs(20)).await;
            if helpers::is_message(&event.event) {
                let content = event.json()["message"]["content"].as_str().unwrap_or_default().to_owned();
                *seen.entry(content).or_default() += 1;
            }
        }
        assert!(seen.values().all(|n| *n == 1), "stream on replica {}: {seen:?}", i + 1);
    }
    cluster.topology(|t| t.start_replica(0)).await;
    let sql = cluster.sql().await;
    let pending: i64 = sql
        .query_one("SELECT count(*) FROM scheduled_messages WHERE sent_at IS NULL", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(pending, 0, "every scheduled message is marked sent");
    tokio::time::sleep(Duration::from_secs(2)).await; // the restarted replica's sender has looked
    let response = http
        .post(format!("{}/api/messages", cluster.replica_url(1)))
        .bearer_auth(&student.token)
        .json(&serde_json::json!({ "chat_id": chat, "content": "marker" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201);
    for stream in &mut streams {
        let next = stream.event_within(Duration::from_secs(10)).await;
        assert_eq!(next.json()["message"]["content"], "marker", "nothing sent twice: {}", next.data);
    }
    let rows = sql
        .query(
            "SELECT payload ->> 'content', count(*), max(created_at) FROM events
             WHERE type = 'message_created' AND actor_id = $1 GROUP BY 1",
            &[&teacher.id],
        )
        .await
        .expect("log");
    assert_eq!(rows.len(), COUNT, "every message is in the log");
    assert!(rows.iter().all(|r| r.get::<_, i64>(1) == 1), "each once");
    let latest = rows.iter().map(|r| r.get::<_, time::OffsetDateTime>(2)).max().expect("a message");
    eprintln!(
        "scheduled send across kill -9: {COUNT} messages, each sent once; the last {} ms after the first was due",
        (latest - due).whole_milliseconds()
    );
}

//! Resuming a stream: exactly what was missed, on any replica, from any usable point.

use crate::helpers::{Event, open_stream, status_and_json};

use super::world;

#[tokio::test]
async fn resuming_on_the_other_replica_replays_exactly_what_was_missed_then_goes_live() {
    let w = world().await;
    let mut first = w.a.stream(&w.student, None).await;
    w.a.send(&w.teacher, w.chat, "before").await;
    let last = first.event().await;
    drop(first);

    let mut missed = Vec::new();
    for i in 0..20 {
        missed.push(w.b.send(&w.teacher, w.chat, &format!("missed {i}")).await);
        w.a.send(&w.other_teacher, w.other_chat, "not yours").await;
    }
    let mut resumed = w.b.stream(&w.student, last.id.as_deref()).await;
    let replayed = resumed.events(20).await;
    let ids: Vec<i64> = replayed.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, missed, "exactly the 20 missed messages, in order, nothing from other chats");
    let positions: Vec<i64> = replayed.iter().map(Event::position).collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]) && positions[0] > last.position());

    let live = w.a.send(&w.student, w.chat, "live again").await;
    let next = resumed.event().await;
    assert_eq!(next.json()["message"]["id"].as_i64(), Some(live), "live after the replay, no duplicate at the seam");

    // The same through the query parameter, for clients that cannot set headers.
    let url = format!("{}?last_event_id={}", w.a.url("/api/events/chat"), last.position());
    let mut by_query = open_stream(&w.a.http, &url, &w.student.token, None).await;
    let again: Vec<i64> =
        by_query.events(21).await.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(again[..20], missed[..]);
    assert_eq!(again[20], live);
}

#[tokio::test]
async fn an_admin_resuming_gets_every_chat() {
    let w = world().await;
    let mut admin = w.a.stream(&w.admin, None).await;
    let first = w.a.send(&w.student, w.chat, "one").await;
    let last = admin.event().await;
    assert_eq!(last.json()["message"]["id"].as_i64(), Some(first));
    drop(admin);
    let two = w.b.send(&w.outsider, w.other_chat, "two").await;
    let three = w.b.send(&w.teacher, w.chat, "three").await;
    let mut resumed = w.b.stream(&w.admin, last.id.as_deref()).await;
    let ids: Vec<i64> =
        resumed.events(2).await.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, vec![two, three]);
}

#[tokio::test]
async fn the_subscribe_time_gap_is_closed_by_the_snapshot_position() {
    let w = world().await;
    w.a.send(&w.teacher, w.chat, "already in the snapshot").await;
    // Settled first: a snapshot's position is the end of the log's settled prefix, which an
    // open transaction elsewhere in the cluster can hold back for a moment; resuming from an
    // earlier one would rightly replay the message before the one this test is about.
    w.a.settled().await;
    let snapshot = w.a.get("/api/chats", &w.student).send().await.expect("snapshot");
    let position = snapshot.headers()["x-event-position"].to_str().expect("header").to_owned();
    let history = w.a.get(&format!("/api/chats/{}/messages", w.chat), &w.student).send().await.expect("history");
    assert!(history.headers().contains_key("x-event-position"));

    let between = w.b.send(&w.teacher, w.chat, "committed between snapshot and stream").await;
    let mut stream = w.b.stream(&w.student, Some(&position)).await;
    assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(between));
}

#[tokio::test]
async fn unusable_resume_points_get_a_reset_event_and_the_stream_goes_on() {
    let w = world().await;
    for bad in ["abc", "-5", "99999999", "1.5"] {
        let mut stream = w.a.stream(&w.student, Some(bad)).await;
        let reset = stream.event().await;
        assert_eq!(reset.event, "reset", "{bad}");
        assert!(reset.json()["reason"].as_str().is_some_and(|r| r.contains(bad)), "{bad}: {reset:?}");
        let live = w.b.send(&w.teacher, w.chat, "after reset").await;
        assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(live), "{bad}");
    }
    let anonymous = w.a.http.get(w.a.url("/api/events/chat")).send().await.expect("send");
    assert_eq!(status_and_json(anonymous).await.0, 401);
}

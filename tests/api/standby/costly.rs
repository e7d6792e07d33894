//! Searches and exports, the costly reads, go to the standby too.

use super::*;

#[tokio::test]
async fn searches_and_exports_read_the_standby_once_it_has_what_they_must_show() {
    let _one_at_a_time = serial().await;
    // The export's own record must reach the standby before the export reads there: under a
    // loaded machine's replay lag that takes longer than the other tests' 100 ms.
    let Some(s) = setup_waiting(REPLAY_BOUND).await else { return };
    let (_, sent) = s.send(&s.student, "контрольная в пятницу").await;
    s.caught_up().await;
    let served = s.reads("served") + s.reads("waited");
    let search = s.app.get("/api/search?q=контрольная", &s.teacher).header("x-min-event-position", sent.to_string());
    let (status, found) = status_and_json(search.send().await.expect("search")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["results"][0]["message"]["content"], "контрольная в пятницу");
    // The export waits for its own record (chat_exported) on the standby, then reads it there.
    let response = s.app.get(&format!("/api/chats/{}/export", s.chat), &s.student).send().await.expect("export");
    let (status, export) = status_and_json(response).await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["messages"][0]["content"], "контрольная в пятницу");
    assert_eq!(s.reads("served") + s.reads("waited"), served + 2, "both were the standby's");
}

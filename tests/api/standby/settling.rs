//! A standby's head is the end of the log's settled prefix there too: rows replayed from an
//! append that commits after one drawn before it, still open, never count until it ends.

use std::time::{Duration, Instant};

use tutorchat::log as events;

use crate::helpers::{connect, plain_message};

#[tokio::test]
async fn a_standbys_head_never_passes_an_append_still_open_on_the_primary() {
    let _one = super::serial().await;
    let Some(setup) = super::setup().await else { return };
    let other = setup.app.user("student", "Ольга").await;
    let second = setup.app.chat(&setup.teacher, &other).await;

    let mut c1 = connect(&setup.app.database).await;
    let t1 = c1.transaction().await.expect("begin T1");
    let open = events::append(&t1, &[plain_message(setup.chat, setup.student.id, "open")]).await.expect("T1")[0]
        .clone()
        .expect("stored");
    let done = events::append(&setup.app.sql, &[plain_message(second, other.id, "committed")]).await.expect("T2")[0]
        .clone()
        .expect("stored");
    assert!(open.position < done.position);

    // The standby has T2's row, and its head stays below T1's.
    let deadline = Instant::now() + Duration::from_secs(30);
    while setup.standby_head().await < done.position {
        assert!(Instant::now() < deadline, "the standby did not replay T2");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let head = events::head(&setup.on_standby).await.expect("the standby's head");
    assert!(head < open.position, "the standby's head {head} passed {} (still open)", open.position);

    t1.commit().await.expect("T1 commits");
    let deadline = Instant::now() + Duration::from_secs(30);
    while events::head(&setup.on_standby).await.expect("head") < done.position {
        assert!(Instant::now() < deadline, "the standby's head did not reach T2 once T1 ended");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A read that must include the sender's own write, sent to the primary because the standby
/// lags: the primary's settled head is held below the write while an older transaction of the
/// cluster runs, and the read waits for it (up to `READ_WAIT_MS`) rather than answer a snapshot
/// that says it is older than the write.
#[tokio::test]
async fn a_read_the_primary_answers_for_a_position_waits_for_its_head_to_settle_past_it() {
    let _one = super::serial().await;
    let Some(s) = super::setup_waiting(Duration::from_millis(500)).await else { return };
    s.pause_replay().await;
    // An older transaction with an id, still open when the write commits.
    let mut older = connect(&s.app.database).await;
    let open = older.transaction().await.expect("begin");
    open.query_one("SELECT pg_current_xact_id()", &[]).await.expect("an id");
    let (_, written) = s.send(&s.student, "после старшей").await;
    let settled: i64 = s.app.sql.query_one("SELECT head FROM log_head()", &[]).await.expect("head").get(0);
    assert!(settled < written, "the older transaction holds the primary's settled head below the write");
    let ends = async {
        // After the standby's wait (500 ms), within the primary's (as long again).
        tokio::time::sleep(Duration::from_millis(700)).await;
        open.commit().await.expect("commit");
    };
    let ((position, texts), ()) = tokio::join!(s.history(&s.student, Some(written)), ends);
    assert_eq!(texts.last().map(String::as_str), Some("после старшей"));
    assert!(position >= written, "its position {position} says it is older than the write {written}");
    s.resume_replay().await;
}

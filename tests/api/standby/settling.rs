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

//! When a notice is written and for whom: from the log, after the message's commit, judged for
//! the message as it was written (who was a member then), and cancelled at its claim when it has
//! become moot.

use std::time::Duration;

use tutorchat::config::NotifyConfig;

use super::{notify, school, states};
use crate::groups::{add, group};
use crate::helpers::{Receiver, TestApp};

#[tokio::test]
async fn no_notice_when_the_user_comes_back_within_the_grace_or_reads_the_chat() {
    let (receiver, url) = Receiver::start().await;
    let config = NotifyConfig { grace: Duration::from_secs(3), ..notify(&url) };
    let (a, b, teacher, student, chat) = school(config).await;

    // Back within the grace, on the other replica (after the notice was written).
    a.send(&student, chat, "one").await;
    a.notices_written().await;
    let stream = b.stream(&teacher, None).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(stream);

    // Read (from another device, without a stream) within the grace.
    let other_chat_teacher = a.user("teacher", "Анна").await;
    let other = a.chat(&other_chat_teacher, &student).await;
    let sent = a.send(&other_chat_teacher, other, "two").await;
    a.notices_written().await;
    assert_eq!(a.read(&student, other, Some(sent)).await.status(), 204);

    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(receiver.calls().is_empty(), "{:?}", receiver.calls());
    let cancelled = states(&a).await;
    assert_eq!(cancelled.len(), 2);
    assert!(cancelled.iter().all(|(state, ..)| state == "cancelled"), "{cancelled:?}");
}

/// The fan-out comes after the commit, by whichever replica's worker is next: a member added to
/// the group in between gets no notice of a message from before they joined (they never see it),
/// the members who were there do. The test holds the fan-out's lock, as a replica inside it would.
#[tokio::test]
async fn a_member_added_after_a_message_gets_no_notice_of_it_however_late_the_fan_out() {
    let (receiver, url) = Receiver::start().await;
    let a = TestApp::spawn_with(|c| c.notify = notify(&url)).await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let class = group(&a, &teacher, "7Б", &[&maria]).await;

    a.sql.execute("SELECT pg_advisory_lock(1953854575, 7)", &[]).await.expect("hold the fan-out");
    let sent = a.send(&teacher, class, "контрольная в пятницу").await;
    assert_eq!(add(&a, &teacher, class, alex.id).await.0, 201);
    tokio::time::sleep(Duration::from_millis(1200)).await; // the worker has had its rounds
    assert!(states(&a).await.is_empty(), "nothing written while the fan-out is held");
    a.sql.execute("SELECT pg_advisory_unlock(1953854575, 7)", &[]).await.expect("release");
    a.notices_written().await;

    let rows = a.sql.query("SELECT user_id, message_id FROM notices", &[]).await.expect("notices");
    let written: Vec<(i64, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(written, [(maria.id, sent)], "only the member who was there");
    let calls = receiver.wait_for(1, Duration::from_secs(2)).await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].json()["user_id"], maria.id);
}

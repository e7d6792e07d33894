//! Streams that misbehave: a consumer that stops reading, and streams churning in waves.

use std::time::{Duration, Instant};

use crate::support::{self, Cluster, Follower, PostLog};

/// 5. A consumer that stops reading is disconnected at its limit, the others are unaffected,
/// and it resumes fully.
#[tokio::test]
async fn a_stalled_consumer_is_cut_off_others_keep_up_and_it_resumes() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start(&[("SSE_QUEUE", "16")]).await;
    let followers = cluster.follow_everyone().await;
    let stalled = cluster.stalled_stream().await;
    const CUT: &str = "tutorchat_slow_consumer_disconnects_total";

    let big = "я".repeat(9_980);
    let mut logs = Vec::new();
    let mut rounds = 0;
    while cluster.metric(CUT).await == 0 {
        rounds += 1;
        assert!(rounds <= 100, "the stalled consumer was never disconnected");
        let text = format!("{big}{rounds}"); // every post its own text (the checker counts them)
        logs.extend(PostLog::join(cluster.posters_with(4, 10, Duration::ZERO, &text)).await.0);
    }
    assert_eq!(cluster.metric(CUT).await, 1, "only the stalled stream was cut off");
    let logs = PostLog(logs);
    cluster.assert_delivered(&followers, &logs).await; // the others received everything

    let (got, last_id) = support::drain(stalled).await;
    let mut resumed = Follower::start(&cluster, cluster.stalled_user(), last_id).await;
    let expected = cluster.committed(cluster.stalled_chat()).await;
    let rest = resumed.wait_for(expected.len() - got.len()).await;
    let mut all = got;
    all.extend(rest);
    assert_eq!(all, expected, "it resumes exactly where it was cut off");
    eprintln!("stalled consumer cut off after {} messages of 20 kB; resumed fully", logs.acked());
}

/// 11. Churn: 200 streams through nginx over three replicas, a fifth of them dropped and
/// resumed with `Last-Event-ID` every 10 s for 2 minutes while 100 messages/s are written.
/// Every stream has every message of its chats once, in order; a wave's reconnects spread
/// over the retry hints' jitter rather than arriving in one instant.
#[tokio::test]
async fn churning_streams_lose_and_duplicate_nothing() {
    let _serial = support::serial().await;
    const WAVES: usize = 10;
    let cluster = Cluster::start(&[
        ("SSE_MAX_STREAMS_PER_USER", "100"),
        ("RATE_STREAM_OPENS_PER_SEC", "100000"),
        ("RATE_STREAM_OPENS_BURST", "100000"),
    ])
    .await;
    let followers = cluster.follow_everyone_times(40).await; // 200 streams
    let posters = cluster.posters(4, 3000, Duration::from_millis(38)); // ~100 messages/s
    let mut spreads = Vec::new();
    for wave in 0..WAVES {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let kicked_at = Instant::now();
        // A different fifth each wave (wave w takes every fifth stream from offset w mod 5).
        let churned: Vec<&Follower> = followers.iter().skip(wave % 5).step_by(5).collect();
        churned.iter().for_each(|f| f.reconnect());
        tokio::time::sleep(Duration::from_secs(2)).await;
        let back: Vec<Instant> = churned.iter().filter_map(|f| f.reopened_after(kicked_at).first().copied()).collect();
        assert_eq!(back.len(), churned.len(), "wave {wave}: every dropped stream reconnected");
        let (first, last) = (back.iter().min().copied(), back.iter().max().copied());
        if let (Some(first), Some(last)) = (first, last) {
            spreads.push(last - first);
        }
    }
    let logs = PostLog::join(posters).await;
    cluster.assert_delivered(&followers, &logs).await;
    let reconnects: usize = followers.iter().map(Follower::reconnects).sum();
    eprintln!(
        "churn: {} streams, {reconnects} reconnects in {WAVES} waves, {} messages acknowledged; each wave's reconnects spread over {spreads:?}",
        followers.len(),
        logs.acked()
    );
    assert!(
        spreads.iter().all(|s| *s >= Duration::from_millis(15)),
        "40 streams dropped together reconnect over the hints' jitter, not in one instant: {spreads:?}"
    );
}

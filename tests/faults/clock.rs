//! A replica whose clock is wrong (libfaketime): tokens judged by it, nothing else taken from it.

use std::time::{Duration, Instant};

use crate::helpers;
use crate::support::{self, Cluster};

/// libfaketime's library (Debian: package faketime; scripts/test installs it).
fn libfaketime() -> std::path::PathBuf {
    std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|dir| dir.path().join("faketime/libfaketime.so.1"))
        .find(|lib| lib.is_file())
        .expect("libfaketime (Debian: apt-get install faketime; scripts/test installs it)")
}

/// 12. Clock skew: one replica runs under a clock 90 s fast, then 90 s slow (libfaketime).
/// It judges tokens by its own clock exactly per the documented 5 s leeway (so it refuses
/// tokens a replica with the right clock accepts), and nothing takes its
/// order or its times from that clock: messages posted through it get their position and
/// `created_at` from PostgreSQL, in posting order, and a user last seen there is last seen by
/// the database's clock.
#[tokio::test]
async fn a_replica_with_a_skewed_clock_judges_tokens_by_it_and_nothing_else() {
    let _serial = support::serial().await;
    let library = libfaketime().display().to_string();
    let cluster = Cluster::start(&[("PRESENCE_GRACE_SECS", "1")]).await;
    let http = reqwest::Client::new();
    let (student, teacher, chat) =
        (cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone(), cluster.pair(0).chat);
    for skew in [90i64, -90] {
        let faketime = format!("{skew:+}s");
        let env =
            [("LD_PRELOAD", library.clone()), ("FAKETIME", faketime), ("FAKETIME_DONT_FAKE_MONOTONIC", "1".into())];
        cluster
            .topology(move |t| {
                t.terminate_replica(0)?;
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                t.start_replica_with(0, &env)
            })
            .await;
        let (skewed, normal) = (cluster.replica_url(0).to_owned(), cluster.replica_url(1).to_owned());
        let me = |base: String, token: String| {
            let http = http.clone();
            async move { http.get(format!("{base}/api/me")).bearer_auth(token).send().await.expect("GET /api/me").status() }
        };

        // Tokens: 3 s on either side of where the skewed replica's leeway ends.
        let real = helpers::now() as i64;
        let token = |claims: serde_json::Value| helpers::sign(&claims, helpers::SECRET, jsonwebtoken::Algorithm::HS256);
        let sub = student.id.to_string();
        let (refused, accepted) = if skew > 0 {
            // Its clock reads real + 90: `exp` must be later than real + 85.
            (
                token(serde_json::json!({"sub": sub, "exp": real + skew - 8})),
                token(serde_json::json!({"sub": sub, "exp": real + skew - 2})),
            )
        } else {
            // Its clock reads real − 90: `nbf` must be no later than real − 85.
            let exp = real + 3600;
            (
                token(serde_json::json!({"sub": sub, "exp": exp, "nbf": real + skew + 8})),
                token(serde_json::json!({"sub": sub, "exp": exp, "nbf": real + skew + 2})),
            )
        };
        assert_eq!(me(skewed.clone(), refused.clone()).await, 401, "{skew:+} s: refused past the leeway");
        assert_eq!(me(skewed.clone(), accepted.clone()).await, 200, "{skew:+} s: accepted within the leeway");
        assert_eq!(me(normal.clone(), refused).await, 200, "{skew:+} s: a replica with the right clock accepts it");

        // Order and times from PostgreSQL: alternate the skewed replica and a normal one.
        let mut last_id = 0;
        for (i, base) in [&skewed, &normal, &skewed].into_iter().enumerate() {
            let before = time::OffsetDateTime::now_utc();
            let response = http
                .post(format!("{base}/api/messages"))
                .bearer_auth(&teacher.token)
                .json(&serde_json::json!({ "chat_id": chat, "content": format!("skew {skew} {i}") }))
                .send()
                .await
                .expect("POST");
            assert_eq!(response.status(), 201);
            let body: serde_json::Value = response.json().await.expect("JSON");
            let created = time::OffsetDateTime::parse(
                body["created_at"].as_str().expect("created_at"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("RFC 3339");
            assert!(
                (created - before).abs() < time::Duration::seconds(5),
                "{skew:+} s: created_at {created} is the database's"
            );
            let id = body["id"].as_i64().expect("id");
            assert!(id > last_id, "{skew:+} s: ids follow the posting order");
            last_id = id;
        }

        // Last seen there: by the database's clock.
        let stream = helpers::open_stream(&http, &format!("{skewed}/api/events/chat"), &student.token, None).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(stream);
        let closed = time::OffsetDateTime::now_utc();
        let deadline = Instant::now() + Duration::from_secs(15);
        let last_seen = loop {
            let url = format!("{normal}/api/presence/{}", student.id);
            let presence: serde_json::Value = http
                .get(url)
                .bearer_auth(&teacher.token)
                .send()
                .await
                .expect("GET presence")
                .json()
                .await
                .expect("JSON");
            if presence["online"] == false {
                break presence["last_seen"].as_str().map(str::to_owned);
            }
            assert!(Instant::now() < deadline, "{skew:+} s: offline within the grace");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let last_seen = time::OffsetDateTime::parse(
            last_seen.as_deref().expect("last_seen"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339");
        assert!(
            (last_seen - closed).abs() < time::Duration::seconds(5),
            "{skew:+} s: last_seen {last_seen} against {closed}"
        );
    }
}

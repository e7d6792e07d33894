//! Searches and exports are the costly reads: each holds a database connection and can read
//! much of the school. Each has a deadline, a person runs only `RATE_COSTLY_READS_AT_ONCE` of
//! them at once on a replica, and a prefix (the costliest plan) is only tried for words long
//! enough in a short query (security review M2). A held table stands for a read that would
//! take long: the tests lock it in a transaction of their own.

use std::time::Duration;

use serde_json::Value;
use tokio_postgres::Client;

use crate::helpers::{TestApp, User, connect, status_and_json};

async fn search(app: &TestApp, user: &User, q: &str) -> (u16, Value) {
    let response = app.get("/api/search", user).query(&[("q", q)]).send().await.expect("GET /api/search");
    status_and_json(response).await
}

/// A connection of the test's own holding `table` so that nothing else reads it, until dropped.
async fn hold(app: &TestApp, table: &str) -> Client {
    let holder = connect(&app.database).await;
    let lock = match table {
        "chat_memberships" => "BEGIN; LOCK TABLE chat_memberships IN ACCESS EXCLUSIVE MODE",
        "messages" => "BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE",
        other => panic!("no lock for {other}"),
    };
    holder.batch_execute(lock).await.expect("lock");
    holder
}

/// Waits until `n` statements reading `table` wait for the test's lock.
async fn waiting_on(app: &TestApp, table: &str, n: i64) {
    let pattern = format!("%{table}%");
    for _ in 0..1000 {
        let row = app
            .sql
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1",
                &[&pattern],
            )
            .await
            .expect("pg_stat_activity");
        if row.get::<_, i64>(0) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{n} statements never waited on {table}");
}

#[tokio::test]
async fn a_prefix_is_a_word_of_three_letters_or_more_in_a_query_of_at_most_four_words() {
    let a = TestApp::spawn().await;
    let query = async |q: &str| -> String {
        let row = a.sql.query_one("SELECT search_query($1, true)::text", &[&q]).await.expect("search_query");
        row.get(0)
    };
    assert_eq!(query("учеб").await, "'учеб':*");
    assert_eq!(query("п or н or b").await, "'п' | 'н' | 'b'", "one letter is no prefix");
    assert_eq!(query("кот и ум").await, "'кот':* & 'ум'");
    assert_eq!(query("учеб конт раб дом сад").await, "'учеб' & 'конт' & 'раб' & 'дом' & 'сад'", "five words");

    // Through the API: a half-typed word is found, a letter is not everything.
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    a.send(&student, chat, "принёс учебники").await;
    let found = |body: &Value| body["results"].as_array().map(Vec::len);
    let (status, body) = search(&a, &student, "учебн").await;
    assert_eq!((status, found(&body)), (200, Some(1)), "{body}");
    let (status, body) = search(&a, &student, "у or п").await;
    assert_eq!((status, found(&body)), (200, Some(0)), "{body}");
}

/// A person's third search at once is refused at once; the two running end at their deadline
/// (422) while the reads they wait for are held; writes go on meanwhile, theirs and others'.
#[tokio::test]
async fn a_person_runs_two_searches_at_once_each_ending_at_its_deadline_while_sends_go_on() {
    let a = TestApp::spawn_with(|c| {
        c.rate.search_timeout = Duration::from_secs(10);
        c.rate.costly_reads_at_once = 2;
    })
    .await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    a.send(&teacher, chat, "домашнее задание").await;

    let holder = hold(&a, "chat_memberships").await;
    let held = async { tokio::join!(search(&a, &student, "задание"), search(&a, &student, "задание")) };
    let meanwhile = async {
        waiting_on(&a, "chat_memberships", 2).await;
        let (status, body) = search(&a, &student, "задание").await;
        assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
        assert!(body["error"].as_str().expect("error").contains("RATE_COSTLY_READS_AT_ONCE"), "{body}");
        for (user, text) in [(&teacher, "новое задание"), (&student, "спасибо")] {
            let response = a.post_message(user, chat, text).await;
            assert_eq!(response.status(), 201, "a send while the searches wait");
        }
    };
    let (((first, one), (second, other)), ()) = tokio::join!(held, meanwhile);
    for (status, body) in [(first, one), (second, other)] {
        assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "{body}");
        assert!(body["error"].as_str().expect("error").contains("SEARCH_TIMEOUT_MS"), "{body}");
    }
    drop(holder);
    let (status, body) = search(&a, &student, "задание").await;
    assert_eq!((status, body["results"].as_array().map(Vec::len)), (200, Some(2)), "{body}");
}

/// An export that cannot finish within EXPORT_TIMEOUT_SECS is stopped: 422 before the download
/// starts, or a download cut short, never a request held open; its place is given back.
#[tokio::test]
async fn an_export_that_outlasts_its_deadline_is_stopped_and_frees_its_place() {
    let a = TestApp::spawn_with(|c| {
        c.rate.export_timeout = Duration::from_secs(2);
        c.rate.costly_reads_at_once = 1;
    })
    .await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    a.send(&teacher, chat, "итоги четверти").await;
    let path = format!("/api/chats/{chat}/export");

    let holder = hold(&a, "messages").await;
    let response = a.get(&path, &student).send().await.expect("GET export");
    match response.status().as_u16() {
        422 => {
            let (_, body) = status_and_json(response).await;
            assert!(body["error"].as_str().expect("error").contains("EXPORT_TIMEOUT_SECS"), "{body}");
        }
        200 => assert!(response.bytes().await.is_err(), "the download is cut short"),
        other => panic!("an export held past its deadline answered {other}"),
    }
    drop(holder);
    let response = a.get(&path, &student).send().await.expect("GET export");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "the place was given back: {body}");
    assert_eq!(body["messages"][0]["content"], "итоги четверти");
}

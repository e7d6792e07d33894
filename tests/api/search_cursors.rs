//! Search cursors are the server's: sealed for one person, query, order and chat, for an hour.
//! A cursor says whether words match as prefixes, the costlier plan, so one a caller wrote
//! (or took from another search) is refused rather than followed (security review M2).

use serde_json::Value;

use crate::helpers::{TestApp, User, status_and_json};

async fn search(app: &TestApp, user: &User, query: &[(&str, &str)]) -> (u16, Value) {
    let response = app.get("/api/search", user).query(query).send().await.expect("GET /api/search");
    status_and_json(response).await
}

#[tokio::test]
async fn a_search_cursor_turns_its_own_searchs_page_and_no_other() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    for n in 0..12 {
        a.send(&student, chat, &format!("контрольная работа номер {n}")).await;
    }
    let first = [("q", "контрольная"), ("limit", "5")];
    let (status, body) = search(&a, &student, &first).await;
    assert_eq!(status, 200, "{body}");
    let cursor = body["next_cursor"].as_str().expect("more pages").to_owned();
    let (status, next) = search(&a, &student, &[first[0], first[1], ("before", &cursor)]).await;
    assert_eq!((status, next["results"].as_array().map(Vec::len)), (200, Some(5)), "{next}");

    let chat_text = chat.to_string();
    let refused: [(&User, Vec<(&str, &str)>); 6] = [
        (&student, vec![("q", "контрольная"), ("before", "p0.5_99_99")]), // written by hand, prefixes forced
        (&student, vec![("q", "контрольная"), ("before", "w99")]),
        (&student, vec![("q", "работа"), ("before", &cursor)]), // other words
        (&student, vec![("q", "контрольная"), ("order", "recent"), ("before", &cursor)]),
        (&student, vec![("q", "контрольная"), ("chat_id", &chat_text), ("before", &cursor)]),
        (&teacher, vec![("q", "контрольная"), ("before", &cursor)]), // someone else's
    ];
    for (user, query) in refused {
        let (status, body) = search(&a, user, &query).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "{query:?}: {body}");
    }
}

/// A search has a deadline (`SEARCH_TIMEOUT_MS`): one that would read too much is stopped
/// there and answered 422 with what to do, holding no connection longer (security review M2).
#[tokio::test]
async fn a_search_that_outlasts_its_deadline_is_stopped_with_a_clear_answer() {
    let a = TestApp::spawn_with(|c| c.rate.search_timeout = std::time::Duration::from_millis(1)).await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let seed = "INSERT INTO events (chat_id, actor_id, type, payload)
                SELECT $1, $2, 'message_created', jsonb_build_object('content', 'глагол и глагол ' || g)
                FROM generate_series(1, 3000) g ORDER BY g";
    a.sql.execute(seed, &[&chat, &student.id]).await.expect("seeding 3,000 messages");
    let (status, body) = search(&a, &student, &[("q", "глагол")]).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "{body}");
    assert!(body["error"].as_str().expect("error").contains("SEARCH_TIMEOUT_MS"), "{body}");
    // The connection it ran on is the pool's again, without the deadline.
    let (status, _) = status_and_json(a.get("/api/chats", &student).send().await.expect("GET")).await;
    assert_eq!(status, 200);
}

//! Message search: Russian and English word forms, `ё`, phrases, prefixes and typos; the index
//! in step with edits, deletions, hiding and purges; and the stream's entitlement (membership
//! at the time of posting, by the log's order) on two replicas, for guests and for admins.

use serde_json::{Value, json};

use crate::governance::{audit_is_clean, created_at};
use crate::groups::{add, group, remove};
use crate::helpers::{TestApp, User, status_and_json};

/// `GET /api/search` with `query` (already encoded pairs) as `user`: status and body.
pub(crate) async fn search(app: &TestApp, user: &User, query: &[(&str, &str)]) -> (u16, Value) {
    let response = app.get("/api/search", user).query(query).send().await.expect("GET /api/search");
    status_and_json(response).await
}

/// The ids found for `q` by `user` (every page: the test's data is small).
pub(crate) async fn found(app: &TestApp, user: &User, q: &str) -> Vec<i64> {
    let (status, body) = search(app, user, &[("q", q), ("order", "recent"), ("limit", "50")]).await;
    assert_eq!(status, 200, "{q}: {body}");
    assert!(body["next_cursor"].is_null(), "one page holds them: {body}");
    ids(&body)
}

/// The ids `user` finds with `query`, every page, each after the last one's cursor.
async fn every_page(app: &TestApp, user: &User, query: &[(&str, &str)]) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = query.to_vec();
        if let Some(c) = &cursor {
            query.push(("before", c));
        }
        let (status, body) = search(app, user, &query).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(ids(&body));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
}

fn ids(body: &Value) -> Vec<i64> {
    body["results"].as_array().expect("results").iter().map(|r| r["message"]["id"].as_i64().expect("id")).collect()
}

/// The highlighted words of the first result's snippet.
fn highlighted(body: &Value) -> Vec<String> {
    body["results"][0]["snippet"]
        .as_array()
        .expect("snippet")
        .iter()
        .filter(|p| p["highlight"] == true)
        .map(|p| p["text"].as_str().expect("text").to_owned())
        .collect()
}

#[tokio::test]
async fn russian_and_english_word_forms_case_yo_phrases_prefixes_and_typos_are_found() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let books = a.send(&teacher, chat, "Принеси учебник по алгебре и две книги").await;
    let english = a.send(&student, chat, "I left my Books at home, sorry").await;
    let yo = a.send(&teacher, chat, "Ёлка на новогоднем утреннике в пятницу").await;
    let phrase = a.send(&student, chat, "домашнее задание сделано, а классное задание нет").await;
    let other = a.send(&teacher, chat, "задание сделать домашнее к понедельнику").await;
    let maths = a.send(&teacher, chat, "Контрольная по математике перенесена").await;

    assert_eq!(found(&a, &student, "учебниками").await, [books], "a Russian form finds another");
    assert_eq!(found(&a, &student, "книга").await, [books]);
    assert_eq!(found(&a, &student, "book").await, [english], "an English singular finds the plural, any case");
    assert_eq!(found(&a, &student, "BOOKS").await, [english]);
    assert_eq!(found(&a, &student, "елка").await, [yo], "е finds ё");
    assert_eq!(found(&a, &student, "ЁЛКИ").await, [yo]);
    assert_eq!(found(&a, &student, "задание").await, [other, phrase]);
    assert_eq!(found(&a, &student, "\"домашнее задание\"").await, [phrase], "a phrase: the words together, in order");
    assert_eq!(found(&a, &student, "задание -домашнее").await, Vec::<i64>::new());
    assert_eq!(found(&a, &student, "учеб").await, [books], "a word's beginning");
    assert_eq!(found(&a, &student, "матиматика").await, [maths], "a typo, by trigrams");
    assert_eq!(found(&a, &student, "зебра").await, Vec::<i64>::new(), "nothing like it");

    // The snippet: the text as parts, the matches marked, nothing made into HTML.
    let (_, body) = search(&a, &student, &[("q", "учебники книгу")]).await;
    assert_eq!(highlighted(&body), ["учебник", "книги"], "{body}");
    let text: String = body["results"][0]["snippet"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .map(|p| p["text"].as_str().expect("as the test set it up"))
        .collect();
    assert_eq!(text, "Принеси учебник по алгебре и две книги");
    // Text that looks like markup comes back exactly as written, for the client to show as text.
    let written = "Мы были на <b>даче</b> &amp; <script>alert(1)</script> <img src=x onerror=\"alert(2)\">";
    let markup = a.send(&student, chat, written).await;
    let (_, body) = search(&a, &student, &[("q", "дача")]).await;
    assert_eq!(ids(&body), [markup]);
    let text: String = body["results"][0]["snippet"]
        .as_array()
        .expect("as the test set it up")
        .iter()
        .map(|p| p["text"].as_str().expect("as the test set it up"))
        .collect();
    assert_eq!(text, written, "the snippet is the text as written");
    assert_eq!(highlighted(&body), ["даче"]);
    assert_eq!(body["results"][0]["chat_id"], chat);
    assert_eq!(body["results"][0]["message"]["content"], written);
}

#[tokio::test]
async fn the_index_follows_edits_deletions_hiding_and_purges() {
    let _turn = crate::governance::one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| {
        c.governance.retention = Some(time::Duration::days(365));
        c.append.editing = true;
    })
    .await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let chat = a.chat(&teacher, &student).await;
    let purged = a.send(&teacher, chat, "сочинение к среде").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let edited = a.send(&student, chat, "первый черновик сочинения").await;
    let deleted = a.send(&student, chat, "сочинение про лето").await;
    let hidden = a.send(&student, chat, "сочинение с грубостью").await;

    assert_eq!(a.edit(&student, edited, "окончательный вариант реферата").await.status(), 200);
    assert_eq!(found(&a, &teacher, "черновик").await, Vec::<i64>::new(), "the old text is not found");
    assert_eq!(found(&a, &teacher, "реферат").await, [edited], "the current text is");
    assert_eq!(a.delete_message(&student, deleted).await.status(), 200);
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{hidden}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "insults" })).send().await.expect("hide").status(), 204);
    for user in [&teacher, &student, &admin] {
        assert_eq!(found(&a, user, "сочинение").await, [purged], "neither deleted nor hidden messages are found");
    }
    let unhide = a.http.post(a.url(&format!("/api/admin/messages/{hidden}/unhide"))).bearer_auth(&admin.token);
    assert_eq!(unhide.send().await.expect("unhide").status(), 204);
    assert_eq!(found(&a, &student, "сочинение").await, [hidden, purged], "unhidden, found again");

    // A purge (retention, by a clock a year on from between the first message and the rest)
    // blanks the text, and its words with it.
    let between = created_at(&a, purged).await + (created_at(&a, edited).await - created_at(&a, purged).await) / 2;
    let count =
        tutorchat::governance::retention::run_at(&a.state, between + time::Duration::days(365)).await.expect("run");
    assert_eq!(count, 1);
    for user in [&teacher, &admin] {
        assert_eq!(found(&a, user, "сочинение").await, [hidden], "a purged message is not found");
    }
    let words: i64 = a
        .sql
        .query_one("SELECT count(*) FROM messages WHERE id = $1 AND search = ''::tsvector", &[&purged])
        .await
        .expect("as the test set it up")
        .get(0);
    assert_eq!(words, 1, "its words are gone from the row");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_member_finds_only_what_was_posted_while_they_were_a_member_on_either_replica() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Teacher").await;
    let (kept, left, outsider) =
        (a.user("student", "Kept").await, a.user("student", "Left").await, a.user("student", "Outsider").await);
    let admin = a.user("admin", "Admin").await;
    let chat = group(&a, &teacher, "Кружок", &[&kept, &left]).await;
    let before = a.send(&teacher, chat, "олимпиада в субботу").await;
    assert_eq!(remove(&a, &teacher, chat, left.id).await, 204);
    let gap = b.send(&teacher, chat, "олимпиада перенесена, секрет").await;
    let (status, body) = add(&b, &teacher, chat, left.id).await;
    assert_eq!(status, 201, "{body}");
    let after = a.send(&kept, chat, "олимпиада: итоги").await;
    // Joined later: nothing from before.
    let (status, body) = add(&a, &teacher, chat, outsider.id).await;
    assert_eq!(status, 201, "{body}");
    let newest = b.send(&teacher, chat, "олимпиада закончилась").await;

    for app in [&a, &b] {
        assert_eq!(found(app, &left, "олимпиада").await, [newest, after, before], "nothing from the gap");
        assert_eq!(found(app, &kept, "олимпиада").await, [newest, after, gap, before]);
        assert_eq!(found(app, &outsider, "олимпиада").await, [newest], "only since they joined");
        assert_eq!(found(app, &admin, "олимпиада").await, [newest, after, gap, before], "admins: everything");
        assert_eq!(found(app, &left, "секрет").await, Vec::<i64>::new());
    }
    // Removed again: what they could read stays theirs, nothing newer.
    assert_eq!(remove(&b, &teacher, chat, left.id).await, 204);
    let later = a.send(&teacher, chat, "олимпиада: новый сезон").await;
    assert_eq!(found(&a, &left, "олимпиада").await, [newest, after, before]);
    assert_eq!(found(&a, &kept, "олимпиада").await.first(), Some(&later));

    // Another chat: not searchable by name for a stranger (403, as its history).
    let stranger = a.user("student", "Stranger").await;
    let (status, body) = search(&a, &stranger, &[("q", "олимпиада"), ("chat_id", &chat.to_string())]).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, body) = search(&a, &left, &[("q", "олимпиада"), ("chat_id", &chat.to_string())]).await;
    assert_eq!((status, ids(&body)), (200, vec![newest, after, before]), "a former member, within the chat: {body}");
    assert_eq!(found(&a, &stranger, "олимпиада").await, Vec::<i64>::new());
}

#[tokio::test]
async fn a_guest_finds_only_their_inquiry_and_the_page_goes_on_with_the_cursor() {
    let a = TestApp::spawn().await;
    let (teacher, _, guest, inquiry) = crate::inquiries::inquiry(&a).await;
    let student = a.user("student", "Student").await;
    let lesson_chat = a.chat(&teacher, &student).await;
    let private = a.send(&teacher, lesson_chat, "расписание занятий на неделю").await;
    let asked = a.send(&guest, inquiry, "пришлите расписание, пожалуйста").await;
    assert_eq!(found(&a, &guest, "расписание").await, [asked]);
    assert_eq!(found(&a, &teacher, "расписание").await, [asked, private]);

    // Pages: relevance then recency, each page after the last one's cursor, nothing twice.
    let mut sent = Vec::new();
    for i in 0..7 {
        let text = if i % 3 == 0 {
            "физика физика физика"
        } else {
            "физика и химия, и ещё много других слов рядом"
        };
        sent.push(a.send(&student, lesson_chat, text).await);
    }
    let seen = every_page(&a, &student, &[("q", "физика"), ("limit", "3")]).await;
    let best: Vec<i64> = sent.iter().copied().enumerate().filter(|(i, _)| i % 3 == 0).map(|(_, id)| id).rev().collect();
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(&seen[..3], best.as_slice(), "the denser matches first, newer first among equals");

    for bad in [
        vec![("q", "  ")],
        vec![("q", "\u{200b}")],
        vec![("q", "x\0y")],
        vec![("q", "x"), ("limit", "0")],
        vec![("q", "x"), ("order", "best")],
        vec![("q", "x"), ("page", "2")],
        vec![],
    ] {
        let (status, body) = search(&a, &student, &bad).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_request")), "{bad:?}: {body}");
    }
    let (status, body) = search(&a, &student, &[("q", "x"), ("before", "nonsense")]).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "a cursor it never gave out: {body}");
    let long = "я".repeat(201);
    let (status, body) = search(&a, &student, &[("q", &long)]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().expect("as the test set it up").contains("200"), "{body}");
}

#[tokio::test]
async fn history_around_a_message_shows_it_with_its_neighbours_and_pages_both_ways() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(a.send(&teacher, chat, &format!("message {i}")).await);
    }
    let page = |query: String| {
        let (a, student) = (&a, &student);
        async move {
            let url = format!("/api/chats/{chat}/messages?{query}");
            status_and_json(a.get(&url, student).send().await.expect("history")).await
        }
    };
    let listed = |body: &Value| -> Vec<i64> {
        body["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["id"].as_i64().expect("as the test set it up"))
            .collect()
    };
    let (status, body) = page(format!("around={}&limit=5", ids[10])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(listed(&body), ids[8..13].to_vec());
    assert_eq!((body["has_more"].as_bool(), body["has_newer"].as_bool()), (Some(true), Some(true)));
    let (_, body) = page(format!("after_id={}&limit=5", ids[12])).await;
    assert_eq!(listed(&body), ids[13..18].to_vec());
    assert_eq!((body["has_more"].as_bool(), body["has_newer"].as_bool()), (Some(true), Some(true)));
    let (_, body) = page(format!("after_id={}&limit=5", ids[15])).await;
    assert_eq!(listed(&body), ids[16..20].to_vec());
    assert_eq!(body["has_newer"], false);
    let (_, body) = page(format!("before_id={}&limit=5", ids[8])).await;
    assert_eq!(listed(&body), ids[3..8].to_vec());
    assert_eq!((body["has_more"].as_bool(), body["has_newer"].as_bool()), (Some(true), Some(true)));
    let (_, body) = page("limit=5".into()).await;
    assert_eq!((listed(&body), body["has_newer"].as_bool()), (ids[15..20].to_vec(), Some(false)));
    let (_, body) = page(format!("around={}&limit=4", ids[0])).await;
    assert_eq!((listed(&body), body["has_more"].as_bool()), (ids[0..3].to_vec(), Some(false)));

    // Not a message of this chat, deleted, or two pivots at once.
    let other = a.chat(&a.user("teacher", "Other").await, &student).await;
    let elsewhere = a.send(&student, other, "elsewhere").await;
    assert_eq!(a.delete_message(&teacher, ids[5]).await.status(), 200);
    for query in [format!("around={elsewhere}"), format!("around={}", ids[5]), "around=0".into()] {
        let (status, body) = page(query.clone()).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{query}: {body}");
    }
    let (status, body) = page(format!("around={}&before_id={}", ids[3], ids[4])).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "{body}");
}

#[tokio::test]
async fn relevance_ranks_the_newest_thousand_matches_and_a_message_between_pages_moves_nothing() {
    let a = TestApp::spawn().await;
    let teacher = a.user("teacher", "Teacher").await;
    let student = a.user("student", "Student").await;
    let chat = a.chat(&teacher, &student).await;
    let other = a.user("student", "Other").await;
    let quieter = a.chat(&teacher, &other).await;
    // Through the log's own triggers: 1,010 matches in one chat, then 20 newer in another, every
    // tenth a better one (the word twice); then a message without the word in the first, so the
    // chat with the newest activity is not the one with the newest matches.
    let seed = "INSERT INTO events (chat_id, actor_id, type, payload)
                SELECT $1, $2, 'message_created',
                       jsonb_build_object('content', CASE WHEN g % 10 = 0 THEN 'глагол и глагол' ELSE 'глагол ' || g END)
                FROM generate_series(1, $3::int) g ORDER BY g";
    a.sql.execute(seed, &[&chat, &student.id, &1010]).await.expect("seeding 1,010 messages");
    a.sql.execute(seed, &[&quieter, &other.id, &20]).await.expect("seeding 20 more");
    a.send(&student, chat, "спасибо").await;
    let matches = "SELECT id FROM messages WHERE chat_id IN ($1, $2) AND content LIKE 'глагол%' ORDER BY id DESC";
    let newest: Vec<i64> = a
        .sql
        .query(matches, &[&chat, &quieter])
        .await
        .expect("the matches")
        .iter()
        .take(1000)
        .map(|r| r.get(0))
        .collect();
    assert!(
        newest.len() == 1000 && newest[..20].iter().all(|id| newest[0] - id < 20),
        "the other chat's 20 are the newest"
    );
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut parts = Vec::new();
    loop {
        let mut query = vec![("q", "глагол"), ("limit", "50")];
        if let Some(c) = &cursor {
            query.push(("before", c));
        }
        let (status, body) = search(&a, &teacher, &query).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(ids(&body));
        parts.extend(
            body["results"].as_array().expect("results").iter().map(|r| r["snippet"].as_array().map_or(0, |s| s.len())),
        );
        if seen.len() == 100 {
            // A better match than any, posted between pages: not in this search's pages.
            let late = a.send(&student, chat, "глагол глагол глагол").await;
            assert!(!newest.contains(&late));
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|x, y| y.cmp(x));
    sorted.dedup();
    assert_eq!(sorted, newest, "the newest 1,000 matches, each once, and nothing posted after the first page");
    let better: Vec<i64> = newest.iter().copied().filter(|id| seen[..100].contains(id)).collect();
    assert_eq!(better.len(), 100, "the better matches (the word twice) come first: 100 of the 1,000");
    assert!(parts[..100].iter().all(|&n| n == 3), "each of them highlights both words: {:?}", &parts[..100]);

    // By recency, every match of both chats, the one posted between pages too, newest first.
    let every: Vec<i64> =
        a.sql.query(matches, &[&chat, &quieter]).await.expect("the matches").iter().map(|r| r.get(0)).collect();
    assert_eq!(every.len(), 1031);
    let recent = every_page(&a, &teacher, &[("q", "глагол"), ("limit", "50"), ("order", "recent")]).await;
    assert_eq!(recent, every);
    audit_is_clean(&a).await;
}

/// A result that quotes a message from before the searcher joined shows the quote only as
/// unavailable, as history does; one who could read it sees it.
#[tokio::test]
async fn a_found_reply_quotes_only_what_the_searcher_may_read() {
    let a = TestApp::spawn().await;
    let (teacher, early, late) =
        (a.user("teacher", "T").await, a.user("student", "Early").await, a.user("student", "Late").await);
    let chat = group(&a, &teacher, "Кружок", &[&early]).await;
    let secret = a.send(&early, chat, "тайна из прошлого").await;
    assert_eq!(add(&a, &teacher, chat, late.id).await.0, 201);
    let response = a.post_reply(&teacher, chat, "отвечаю про расписание", secret).await;
    assert_eq!(response.status(), 201);
    for (user, quote) in [(&late, Value::Null), (&early, json!("тайна из прошлого"))] {
        let (status, body) = search(&a, user, &[("q", "расписание")]).await;
        assert_eq!(status, 200, "{body}");
        let reply = &body["results"][0]["message"]["reply_to"];
        assert_eq!((reply["id"].as_i64(), &reply["content_preview"]), (Some(secret), &quote), "{body}");
        assert_eq!(reply["unavailable"], json!(quote.is_null()), "{body}");
    }
}

//! GET /api/chats and GET /api/admin/chats, plus the API's general shape (404/405, OpenAPI).

use serde_json::{Value, json};

use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn a_participant_lists_own_chats_with_partner_last_message_and_unread() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "Иван Петров").await;
    let (anna, boris) = (app.user("student", "Анна").await, app.user("student", "Борис").await);
    let outsider = app.user("teacher", "Other").await;
    let with_anna = app.chat(&teacher, &anna).await;
    let with_boris = app.chat(&teacher, &boris).await;
    app.chat(&outsider, &boris).await;

    app.send(&anna, with_anna, "a1").await;
    let a2 = app.send(&anna, with_anna, "a2").await;
    app.send(&anna, with_anna, "a3 🎉").await;
    app.send(&teacher, with_anna, "t1").await;
    assert_eq!(app.delete_message(&anna, a2).await.status(), 200);
    app.send(&boris, with_boris, "b1").await; // Boris's chat is now the most recent

    let (status, body) = status_and_json(app.get("/api/chats", &teacher).send().await.expect("send")).await;
    assert_eq!(status, 200);
    let chats = body["chats"].as_array().expect("chats");
    assert_eq!(chats.len(), 2, "{body}");
    assert_eq!(chats[0]["id"].as_i64(), Some(with_boris));
    assert_eq!(
        chats[0]["participant"],
        json!({ "id": boris.id, "name": "Борис", "role": "student", "online": false, "last_seen": null })
    );
    assert_eq!(chats[0]["last_message"]["content"], "b1");
    assert_eq!(chats[0]["unread_count"], 1);
    assert_eq!(chats[1]["id"].as_i64(), Some(with_anna));
    assert_eq!(chats[1]["last_message"]["content"], "t1");
    assert_eq!(
        chats[1]["unread_count"], 2,
        "Anna's two visible messages; the deleted one and the teacher's own do not count"
    );
    let created_at = chats[1]["last_message"]["created_at"].as_str().expect("timestamp");
    assert!(
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{created_at}"
    );
    assert!(created_at.ends_with('Z'), "{created_at}");

    let (_, anna_view) = status_and_json(app.get("/api/chats", &anna).send().await.expect("send")).await;
    assert_eq!(anna_view["chats"][0]["participant"]["name"], "Иван Петров");
    assert_eq!(anna_view["chats"][0]["unread_count"], 1);
    assert_eq!(anna_view["chats"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_chat_without_messages_has_a_null_last_message() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    app.chat(&teacher, &student).await;
    let (_, body) = status_and_json(app.get("/api/chats", &student).send().await.expect("send")).await;
    assert_eq!(body["chats"][0]["last_message"], Value::Null);
    assert_eq!(body["chats"][0]["unread_count"], 0);
}

#[tokio::test]
async fn deleting_messages_moves_the_last_message_back_and_lowers_unread() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let admin = app.user("admin", "A").await;
    let chat = app.chat(&teacher, &student).await;
    let first = app.send(&student, chat, "first").await;
    app.send(&teacher, chat, "reply").await;
    let last = app.send(&student, chat, "last").await;
    let view = |user| {
        let app = &app;
        async move {
            let (status, body) = status_and_json(app.get("/api/chats", user).send().await.expect("send")).await;
            assert_eq!(status, 200, "{body}");
            (body["chats"][0]["last_message"]["content"].clone(), body["chats"][0]["unread_count"].clone())
        }
    };
    assert_eq!(view(&teacher).await, (json!("last"), json!(2)));

    assert_eq!(app.delete_message(&student, last).await.status(), 200);
    assert_eq!(view(&teacher).await, (json!("reply"), json!(1)), "the newest remaining message, one unread left");
    assert_eq!(view(&student).await, (json!("reply"), json!(1)), "the student's own deletions change nothing for them");

    assert_eq!(app.delete_message(&student, first).await.status(), 200);
    assert_eq!(app.delete_message(&student, first).await.status(), 200, "deleting again changes nothing");
    assert_eq!(view(&teacher).await, (json!("reply"), json!(0)));
    let (_, admin_view) = status_and_json(app.get("/api/admin/chats", &admin).send().await.expect("send")).await;
    assert_eq!(admin_view["chats"][0]["messages_count"], 1);
    assert!(app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay").is_empty());
}

#[tokio::test]
async fn admins_list_every_chat_and_nobody_else_may() {
    let app = TestApp::spawn().await;
    let (teacher, student, student2) = (
        app.user("teacher", "Препод Петров").await,
        app.user("student", "Ученик Иванов").await,
        app.user("student", "S2").await,
    );
    let admin = app.user("admin", "Admin").await;
    let chat = app.chat(&teacher, &student).await;
    let quiet = app.chat(&teacher, &student2).await;
    app.send(&student, chat, "one").await;
    let two = app.send(&teacher, chat, "two").await;
    app.send(&student, chat, "three").await;
    assert_eq!(app.delete_message(&teacher, two).await.status(), 200);

    for user in [&teacher, &student] {
        let (status, _) = status_and_json(app.get("/api/admin/chats", user).send().await.expect("send")).await;
        assert_eq!(status, 403);
    }
    let (status, body) = status_and_json(app.get("/api/admin/chats", &admin).send().await.expect("send")).await;
    assert_eq!(status, 200);
    let chats = body["chats"].as_array().expect("chats");
    assert_eq!(chats.len(), 2);
    assert_eq!(chats[0]["id"].as_i64(), Some(chat), "most recent activity first");
    assert_eq!(
        chats[0]["participants"],
        json!([
            { "id": student.id, "name": "Ученик Иванов", "role": "student" },
            { "id": teacher.id, "name": "Препод Петров", "role": "teacher" }
        ])
    );
    assert_eq!(chats[0]["messages_count"], 2);
    assert!(chats[0]["last_message_at"].is_string());
    assert_eq!(chats[1]["id"].as_i64(), Some(quiet));
    assert_eq!((chats[1]["messages_count"].as_i64(), &chats[1]["last_message_at"]), (Some(0), &Value::Null));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::spawn().await;
    let student = app.user("student", "S").await;
    let (status, _) = status_and_json(app.get("/api/nothing", &student).send().await.expect("send")).await;
    assert_eq!(status, 404);
    let (status, _) = status_and_json(app.http.put(app.url("/api/chats")).send().await.expect("send")).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn openapi_describes_log_positions() {
    // Every route is in the document: contract::the_document_has_exactly_the_routers_routes_each_answer_described.
    let app = TestApp::spawn().await;
    let doc: Value = app.http.get(app.url("/api/openapi.json")).send().await.expect("send").json().await.expect("json");
    assert!(doc["paths"]["/api/messages"]["post"]["responses"]["201"].is_object());
    // Snapshots and sends give their log position; the reads take the one they must include.
    for (path, method, status) in [
        ("/api/chats", "get", "200"),
        ("/api/admin/chats", "get", "200"),
        ("/api/chats/{chat_id}/messages", "get", "200"),
        ("/api/messages", "post", "201"),
    ] {
        let operation = &doc["paths"][path][method];
        let header = &operation["responses"][status]["headers"]["X-Event-Position"];
        assert!(header.is_object(), "{method} {path} {status} does not describe X-Event-Position");
        if method == "get" {
            let params = operation["parameters"].as_array().expect("parameters");
            let min = params.iter().find(|p| p["name"] == "X-Min-Event-Position");
            assert_eq!(min.map(|p| &p["in"]), Some(&Value::from("header")), "{path}: X-Min-Event-Position");
        }
    }
    // A sent message is a history item plus its chat: both parts are described.
    let sent = doc["components"]["schemas"]["SentMessage"]["allOf"].as_array().expect("SentMessage is composed");
    assert!(sent.iter().any(|part| part["$ref"] == "#/components/schemas/HistoryMessage"), "{sent:?}");
    assert!(sent.iter().any(|part| part["properties"]["chat_id"].is_object()), "{sent:?}");
    assert!(doc["components"]["schemas"]["HistoryMessage"]["properties"]["created_at"].is_object());
    // Messages carry their attachments, described down to the file's fields.
    assert!(doc["components"]["schemas"]["HistoryMessage"]["properties"]["attachments"].is_object());
    assert!(doc["components"]["schemas"]["Attachment"]["properties"]["sha256"].is_object(), "Attachment is described");
    assert!(doc["components"]["schemas"]["SendMessage"]["properties"]["attachment_ids"].is_object());
}

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let app = TestApp::spawn().await;
    let (status, body) = status_and_json(app.http.get(app.url("/healthz")).send().await.expect("send")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    // Ready once the log listener has connected, which happens just after start-up.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let response = app.http.get(app.url("/readyz")).send().await.expect("send");
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        if status == 200 {
            assert_eq!(body["status"], "ok");
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(body["status"].as_str().is_some_and(|s| s.contains("listener")), "{body}");
        assert!(std::time::Instant::now() < deadline, "never ready: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_built_client_is_served_outside_api_with_spa_fallback() {
    let dir = std::env::temp_dir().join(format!("tutorchat-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).expect("dir");
    std::fs::write(dir.join("index.html"), "<!doctype html><title>tutorchat</title>").expect("index");
    std::fs::write(dir.join("assets/app.js"), "console.log(1)").expect("asset");
    let app = TestApp::spawn_with(|c| c.http.static_dir = Some(dir.clone())).await;
    let student = app.user("student", "S").await;

    for path in ["/", "/chats/12", "/login"] {
        let response = app.http.get(app.url(path)).send().await.expect("send");
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.text().await.expect("body").contains("<title>tutorchat</title>"), "{path}");
    }
    let js = app.http.get(app.url("/assets/app.js")).send().await.expect("send");
    assert_eq!(js.text().await.expect("body"), "console.log(1)");
    let (status, _) = status_and_json(app.get("/api/nothing", &student).send().await.expect("send")).await;
    assert_eq!(status, 404, "unknown API paths stay JSON errors");
    let (status, _) = status_and_json(app.http.post(app.url("/api/nothing/deeper")).send().await.expect("send")).await;
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every page of `path` (which has `?…limit=`), following `next_cursor`; the ids per page.
async fn pages(app: &TestApp, user: &crate::helpers::User, path: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => path.to_owned(),
            Some(c) => format!("{path}&cursor={c}"),
        };
        let (status, body) = status_and_json(app.get(&url, user).send().await.expect("GET")).await;
        assert_eq!(status, 200, "{url}: {body}");
        pages.push(body["chats"].as_array().expect("chats").iter().map(|c| c["id"].as_i64().expect("id")).collect());
        cursor = body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return pages;
        }
        assert!(pages.len() < 100, "paging does not end");
    }
}

#[tokio::test]
async fn a_chat_list_pages_by_activity_and_a_chat_that_moves_meanwhile_is_neither_repeated_nor_skipped() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let mut chats = Vec::new();
    for i in 0..7 {
        let student = app.user("student", &format!("S{i}")).await;
        let chat = app.chat(&teacher, &student).await;
        app.send(&student, chat, "hello").await;
        chats.push((chat, student));
    }
    // Newest activity first: the last chat written in comes first.
    let expected: Vec<i64> = chats.iter().rev().map(|(c, _)| *c).collect();
    let all = pages(&app, &teacher, "/api/chats?limit=3").await;
    assert_eq!(all.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 1]);
    assert_eq!(all.concat(), expected);

    // Page 1, then chats on pages 1 and 3 get messages, then the rest: every chat once, in
    // the order of the moment the first page was read.
    let (_, first) = status_and_json(app.get("/api/chats?limit=3", &teacher).send().await.expect("GET")).await;
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let (oldest, oldest_student) = &chats[0];
    app.send(oldest_student, *oldest, "I move to the top now").await;
    let (newest, newest_student) = &chats[6];
    app.send(newest_student, *newest, "me again").await;
    let (_, second) =
        status_and_json(app.get(&format!("/api/chats?limit=3&cursor={cursor}"), &teacher).send().await.expect("GET"))
            .await;
    let cursor = second["next_cursor"].as_str().expect("a third page").to_owned();
    let (_, third) =
        status_and_json(app.get(&format!("/api/chats?limit=4&cursor={cursor}"), &teacher).send().await.expect("GET"))
            .await;
    let ids = |page: &Value| {
        page["chats"].as_array().expect("chats").iter().map(|c| c["id"].as_i64().expect("id")).collect::<Vec<_>>()
    };
    let seen = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(seen, expected, "as of the first page, each chat once");
    assert_eq!(third["next_cursor"], Value::Null);
    // A fresh first page shows the new order.
    let fresh = pages(&app, &teacher, "/api/chats?limit=2").await.concat();
    assert_eq!(&fresh[..2], &[*newest, *oldest]);
}

#[tokio::test]
async fn chat_lists_search_by_name_or_title_ignoring_case_and_filter_by_kind() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "Иван").await;
    let admin = app.user("admin", "Ольга").await;
    let maria = app.user("student", "Мария Иванова").await;
    let mark = app.user("student", "Mark 100%_done").await;
    let direct_maria = app.chat(&teacher, &maria).await;
    let direct_mark = app.chat(&teacher, &mark).await;
    let body = json!({ "kind": "group", "title": "ЕГЭ Математика, 11 «Б»", "participant_ids": [maria.id] });
    let request = app.http.post(app.url("/api/chats")).bearer_auth(&teacher.token).json(&body);
    let (status, group) = status_and_json(request.send().await.expect("POST")).await;
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_i64().expect("id");

    let found = |user, query: &str| {
        let (app, url) = (&app, format!("/api/chats?limit=50&{query}"));
        async move {
            let (status, body) = status_and_json(app.get(&url, user).send().await.expect("GET")).await;
            assert_eq!(status, 200, "{url}: {body}");
            let mut ids: Vec<i64> =
                body["chats"].as_array().expect("chats").iter().map(|c| c["id"].as_i64().expect("id")).collect();
            ids.sort_unstable();
            ids
        }
    };
    assert_eq!(found(&teacher, "q=МАРИЯ").await, vec![direct_maria]);
    assert_eq!(found(&teacher, "q=математика").await, vec![group]);
    assert_eq!(found(&teacher, "q=%25_").await, vec![direct_mark], "% and _ are literal");
    assert_eq!(found(&teacher, "q=%25").await, vec![direct_mark]);
    assert_eq!(found(&teacher, "q=иван").await, vec![direct_maria], "the partner's name, not the caller's own");
    assert_eq!(found(&teacher, "kind=group").await, vec![group]);
    assert_eq!(found(&teacher, "kind=direct").await, vec![direct_maria, direct_mark]);
    assert_eq!(found(&teacher, "kind=direct&q=егэ").await, Vec::<i64>::new());
    assert_eq!(found(&maria, "q=егэ").await, vec![group]);
    // Admins search every chat, by title or any member's name.
    let (status, body) =
        status_and_json(app.get("/api/admin/chats?q=%D0%B8%D0%B2%D0%B0%D0%BD", &admin).send().await.expect("GET"))
            .await;
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<i64> =
        body["chats"].as_array().expect("chats").iter().map(|c| c["id"].as_i64().expect("id")).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![direct_maria, direct_mark, group], "Иван is in all three");

    for bad in ["limit=0", "limit=501", "limit=x", "cursor=abc", "cursor=1.2", "kind=private"] {
        let (status, body) =
            status_and_json(app.get(&format!("/api/chats?{bad}"), &teacher).send().await.expect("GET")).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // A cursor of the right shape that this API never gave out (its activity after its head).
    let (status, body) = status_and_json(app.get("/api/chats?cursor=5.9.1", &teacher).send().await.expect("GET")).await;
    assert_eq!(status, 422, "{body}");
    let long = "я".repeat(101);
    let (status, _) =
        status_and_json(app.get(&format!("/api/chats?q={long}"), &teacher).send().await.expect("GET")).await;
    assert_eq!(status, 400);
}

/// The primary specification's `GET /api/chats` "returns all chats": without `limit` (and
/// `cursor`) it does, however many; with `limit` it pages. `offset` and `page`, which this API
/// does not have, are refused rather than silently answering the first page again.
#[tokio::test]
async fn without_limit_every_chat_is_listed_and_offsets_are_refused() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let admin = app.user("admin", "A").await;
    let students: Vec<i64> = app
        .sql
        .query(
            "INSERT INTO users (email, name, role)
             SELECT 's' || i || '@all.test', 'Student ' || i, 'student' FROM generate_series(1, 150) i RETURNING id",
            &[],
        )
        .await
        .expect("students")
        .iter()
        .map(|r| r.get(0))
        .collect();
    app.sql
        .execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
             SELECT $1, s, now(), 'completed' FROM unnest($2::bigint[]) s",
            &[&teacher.id, &students],
        )
        .await
        .expect("lessons open 150 chats");
    for (who, path) in [(&teacher, "/api/chats"), (&admin, "/api/admin/chats")] {
        let (status, all) = status_and_json(app.get(path, who).send().await.expect("GET")).await;
        assert_eq!(status, 200, "{all}");
        assert_eq!(all["chats"].as_array().map(Vec::len), Some(150), "{path}: every chat");
        assert_eq!(all["next_cursor"], Value::Null);
        let (_, page) = status_and_json(app.get(&format!("{path}?limit=100"), who).send().await.expect("GET")).await;
        assert_eq!(page["chats"].as_array().map(Vec::len), Some(100));
        let cursor = page["next_cursor"].as_str().expect("a next page");
        let (_, rest) =
            status_and_json(app.get(&format!("{path}?cursor={cursor}"), who).send().await.expect("GET")).await;
        assert_eq!(rest["chats"].as_array().map(Vec::len), Some(50), "a cursor without limit pages by 100");
        for refused in ["offset=100", "page=2", "limit=10&offset=10"] {
            let (status, body) =
                status_and_json(app.get(&format!("{path}?{refused}"), who).send().await.expect("GET")).await;
            assert_eq!(status, 400, "{refused}: {body}");
            assert!(body["error"].as_str().is_some_and(|e| e.contains("cursor")), "{body}");
        }
    }
    let chat = app.chat(&teacher, &app.user("student", "S").await).await;
    let (status, body) =
        status_and_json(app.get(&format!("/api/chats/{chat}/messages?offset=50"), &teacher).send().await.expect("GET"))
            .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("before_id")), "{body}");
}

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
async fn openapi_describes_every_endpoint() {
    let app = TestApp::spawn().await;
    let doc: Value = app.http.get(app.url("/api/openapi.json")).send().await.expect("send").json().await.expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/chats",
        "/api/admin/chats",
        "/api/chats/{chat_id}/messages",
        "/api/messages",
        "/api/messages/{id}",
        "/api/direct/{user_id}/send",
        "/api/lessons/{id}/complete",
        "/api/dev/login",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    assert!(doc["paths"]["/api/messages"]["post"]["responses"]["201"].is_object());
    // A sent message is a history item plus its chat: both parts are described.
    let sent = doc["components"]["schemas"]["SentMessage"]["allOf"].as_array().expect("SentMessage is composed");
    assert!(sent.iter().any(|part| part["$ref"] == "#/components/schemas/HistoryMessage"), "{sent:?}");
    assert!(sent.iter().any(|part| part["properties"]["chat_id"].is_object()), "{sent:?}");
    assert!(doc["components"]["schemas"]["HistoryMessage"]["properties"]["created_at"].is_object());
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

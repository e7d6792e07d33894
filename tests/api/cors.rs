//! The API called from a school's own site (`ALLOWED_ORIGINS`): CORS with credentials, the
//! preflight for the API's methods and headers, and nothing at all for another origin.

use reqwest::Method;

use crate::helpers::*;

const SCHOOL: &str = "https://school.example";

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    let values: Vec<&str> = response.headers().get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

async fn preflight(app: &TestApp, origin: &str, path: &str, method: &str, headers: &str) -> reqwest::Response {
    app.http
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("preflight")
}

#[tokio::test]
async fn an_allowed_origin_gets_a_preflight_and_credentialed_answers_and_another_gets_nothing() {
    let app = TestApp::spawn_with(|c| c.auth.allowed_origins = vec![SCHOOL.into()]).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;

    let ok = preflight(&app, SCHOOL, "/api/messages", "POST", "content-type,idempotency-key,authorization").await;
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(header(&ok, "access-control-allow-origin").as_deref(), Some(SCHOOL));
    assert_eq!(header(&ok, "access-control-allow-credentials").as_deref(), Some("true"));
    let methods = header(&ok, "access-control-allow-methods").unwrap_or_default().to_lowercase();
    for method in ["get", "post", "put", "delete"] {
        assert!(methods.contains(method), "{method} in {methods}");
    }
    let allowed = header(&ok, "access-control-allow-headers").unwrap_or_default().to_lowercase();
    for name in ["authorization", "content-type", "idempotency-key", "last-event-id"] {
        assert!(allowed.contains(name), "{name} in {allowed}");
    }
    assert!(header(&ok, "vary").unwrap_or_default().to_lowercase().contains("origin"));
    let stream = preflight(&app, SCHOOL, "/api/events/chat", "GET", "last-event-id").await;
    assert_eq!(header(&stream, "access-control-allow-origin").as_deref(), Some(SCHOOL));

    // The cookie session from the school's page: reads, the event stream and writes.
    let cookie = format!("access_token={}", student.token);
    let me =
        app.http.get(app.url("/api/me")).header("origin", SCHOOL).header("cookie", &cookie).send().await.expect("me");
    assert_eq!(me.status(), 200);
    assert_eq!(header(&me, "access-control-allow-origin").as_deref(), Some(SCHOOL));
    assert_eq!(header(&me, "access-control-allow-credentials").as_deref(), Some("true"));
    let events =
        app.fresh.get(app.url("/api/events/chat")).header("origin", SCHOOL).header("cookie", &cookie).send().await;
    let events = events.expect("stream");
    assert_eq!(events.status(), 200);
    assert_eq!(header(&events, "access-control-allow-origin").as_deref(), Some(SCHOOL));
    drop(events);
    let sent = app
        .http
        .post(app.url("/api/messages"))
        .header("origin", SCHOOL)
        .header("cookie", &cookie)
        .json(&serde_json::json!({ "chat_id": chat, "content": "from the school's site" }))
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), 201);
    assert_eq!(header(&sent, "access-control-allow-origin").as_deref(), Some(SCHOOL));

    // Another origin: no CORS header at all (its browser keeps every answer from it), and its
    // cookie-authenticated writes are refused.
    for response in [
        preflight(&app, "https://evil.example", "/api/messages", "POST", "content-type").await,
        app.http
            .get(app.url("/api/me"))
            .header("origin", "https://evil.example")
            .header("cookie", &cookie)
            .send()
            .await
            .expect("me"),
    ] {
        for name in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-allow-methods",
            "access-control-allow-headers",
        ] {
            assert_eq!(header(&response, name), None, "{name} for another origin");
        }
    }
    let refused = app
        .http
        .post(app.url("/api/messages"))
        .header("origin", "https://evil.example")
        .header("cookie", &cookie)
        .json(&serde_json::json!({ "chat_id": chat, "content": "forged" }))
        .send()
        .await
        .expect("send");
    let (status, body) = status_and_json(refused).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("cross_site_request")), "{body}");
}

#[tokio::test]
async fn without_allowed_origins_there_is_no_cors_at_all() {
    let app = TestApp::spawn().await;
    let response = preflight(&app, SCHOOL, "/api/messages", "POST", "content-type").await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body["code"].as_str()), (405, Some("method_not_allowed")), "{body}");
}

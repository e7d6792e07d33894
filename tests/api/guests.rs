//! What a guest (a visitor of an inquiry link) may see of the people they talk to: their
//! messages, and nothing of their presence (a teacher's online hours are not a visitor's to
//! watch), on the stream, in the chat list and through the presence endpoint; and which
//! operations a guest or a suspended person may call at all: those placed on their routers
//! (`src/access`), every other operation of the document refusing them.

use serde_json::json;

use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn a_guest_sees_nobodys_presence_while_the_teacher_sees_theirs() {
    let app = TestApp::spawn().await;
    let (teacher, _, guest, chat) = crate::inquiries::inquiry(&app).await;
    let mut guest_stream = app.stream(&guest, Some("0")).await;
    let opened = guest_stream.event().await;
    assert_eq!(opened.event, "chat_created");
    assert_eq!(
        (&opened.json()["chat"]["participant"]["online"], &opened.json()["chat"]["participant"]["last_seen"]),
        (&json!(false), &json!(null)),
        "the guest's chat_created shows no presence of the teacher"
    );
    let question = guest_stream.event().await;
    assert_eq!(question.event, "message_sent", "their own question, on their own stream");

    // The teacher comes online (a stream opens): the guest's stream gets no presence signal,
    // only the teacher's message after it.
    let _teacher_stream = app.stream(&teacher, None).await;
    let answer = app.send(&teacher, chat, "Здравствуйте!").await;
    let next = guest_stream.any_event().await;
    assert_eq!(
        (next.event.as_str(), next.json()["message"]["id"].as_i64()),
        ("new_message", Some(answer)),
        "no presence before the message: {next:?}"
    );

    crate::presence::until_online(&app, &teacher, teacher.id).await;
    let (status, list) = status_and_json(app.get("/api/chats", &guest).send().await.expect("GET chats")).await;
    assert_eq!(status, 200);
    assert_eq!(list["chats"][0]["participant"]["online"], false, "the teacher is online, but not to a guest: {list}");
    // Nor in the chat's details, which the teacher sees with it.
    let online = json!(true);
    let of_teacher = |shown: Vec<(i64, serde_json::Value, serde_json::Value)>| {
        shown.into_iter().find(|(id, ..)| *id == teacher.id).map(|(_, online, last_seen)| (online, last_seen))
    };
    assert_eq!(
        of_teacher(crate::presence::details_presence(&app, &guest, chat).await),
        Some((json!(false), json!(null))),
        "the chat's details show a guest no presence"
    );
    let guests_view = crate::presence::details_presence(&app, &teacher, chat).await;
    assert!(guests_view.iter().any(|(id, shown, _)| *id == guest.id && *shown == online), "{guests_view:?}");
    // The presence endpoint is beyond a guest's confinement (their chat and nothing else).
    let (status, body) =
        status_and_json(app.get(&format!("/api/presence/{}", teacher.id), &guest).send().await.expect("GET")).await;
    assert_eq!(status, 403, "{body}");
    let (status, of_guest) =
        status_and_json(app.get(&format!("/api/presence/{}", guest.id), &teacher).send().await.expect("GET")).await;
    assert_eq!((status, of_guest["online"].as_bool()), (200, Some(true)), "the teacher sees the guest's");
}

/// What a guest may call, the contract: everything else that needs a signed-in person refuses
/// them, whatever it is about.
const GUEST_OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/api/me"),
    ("POST", "/api/logout"),
    ("GET", "/api/events/chat"),
    ("POST", "/api/events/ticket"),
    ("GET", "/api/chats"),
    ("GET", "/api/chats/{chat_id}"),
    ("GET", "/api/chats/{chat_id}/messages"),
    ("GET", "/api/chats/{chat_id}/pins"),
    ("GET", "/api/search"),
    ("POST", "/api/chats/{chat_id}/read"),
    ("POST", "/api/chats/{chat_id}/typing"),
    ("POST", "/api/chats/{chat_id}/attachments"),
    ("GET", "/api/attachments/{id}"),
    ("POST", "/api/messages"),
    ("PUT", "/api/messages/{id}"),
    ("DELETE", "/api/messages/{id}"),
    ("POST", "/api/messages/{id}/report"),
    ("GET", "/api/chats/{chat_id}/export"),
    // The marketplace dialect's buyer routes: a visitor there is a guest.
    ("GET", "/api/chat/chats/my"),
    ("GET", "/api/chat/chats/{chat_id}/messages"),
    ("POST", "/api/chat/chats/{chat_id}/read"),
    ("GET", "/api/chat/ws/{chat_id}"),
];

/// What a suspended person may still write (they read everything they could).
const SUSPENDED_WRITES: &[(&str, &str)] = &[
    ("POST", "/api/logout"),
    ("POST", "/api/chats/{chat_id}/read"),
    ("PUT", "/api/chats/{chat_id}/mute"),
    ("DELETE", "/api/chats/{chat_id}/mute"),
    ("PUT", "/api/chats/{chat_id}/archive"),
    ("DELETE", "/api/chats/{chat_id}/archive"),
    ("POST", "/api/events/ticket"),
    ("POST", "/api/push/subscriptions"),
    ("DELETE", "/api/push/subscriptions"),
    ("PUT", "/api/me/email-notifications"),
    ("PUT", "/api/me/language"),
    ("DELETE", "/api/sessions"),
    ("DELETE", "/api/sessions/{id}"),
    ("POST", "/api/chat/chats/{chat_id}/read"),
    ("DELETE", "/api/chat/chats/{chat_id}"),
];

/// Every operation of the API's document, as (method, path template), `POST /api/logout` last.
async fn operations(app: &TestApp) -> Vec<(String, String)> {
    let answer = app.http.get(app.url("/api/openapi.json")).send().await.expect("GET /api/openapi.json");
    let document: serde_json::Value = answer.json().await.expect("json");
    let mut operations: Vec<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("path item").keys();
            methods
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    operations.sort_by_key(|(method, path)| (path == "/api/logout", method.clone(), path.clone()));
    assert!(operations.len() > 40, "the document's operations: {operations:?}");
    operations
}

/// The school's systems' API: a provisioning client's token, never a person's credential (a
/// guest's or a suspended person's is no client's token: 401).
const INTEGRATIONS: &str = "/api/integrations/";

/// A session's renewal: its own credential (the refresh cookie), never a token, so a token of
/// anyone's is no credential there (401). A suspended person's session renews (they read on);
/// a guest has none to renew.
const RENEWAL: (&str, &str) = ("POST", "/api/sessions/refresh");

/// The dialects whose errors are their contract's `{"error"}`: the core's refusals, no code.
const CODELESS: &[&str] = &["/api/v1/", "/api/unet-chat/", "/api/messenger/"];

/// Their writes that stay open to suspended people, as the core's read marker and archive do.
const CODELESS_SUSPENDED_WRITES: &[(&str, &str)] =
    &[("POST", "/api/v1/chat/conversations/{id}/read"), ("DELETE", "/api/unet-chat/conversations/{id}")];

fn codeless(path: &str) -> bool {
    CODELESS.iter().any(|prefix| path.starts_with(prefix))
}

/// The status and error code of `method path` (its `{…}` parameters 1) as `token` (none:
/// anonymous), with an empty JSON object as the body of a write. A stream's body is not read.
async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> (u16, Option<String>) {
    let mut concrete = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("closing brace") + open;
        concrete.push_str(&rest[..open]);
        concrete.push('1');
        rest = &rest[close + 1..];
    }
    concrete.push_str(rest);
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.http.request(method.clone(), app.url(&concrete));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if method != reqwest::Method::GET {
        request = request.json(&json!({}));
    }
    let answer = request.send().await.expect("request");
    let status = answer.status().as_u16();
    let is_json = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|t| t.to_str().unwrap_or_default().starts_with("application/json"));
    let code = if is_json {
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        body["code"].as_str().map(str::to_owned)
    } else {
        None
    };
    (status, code)
}

#[tokio::test]
async fn every_operation_refuses_a_guest_unless_it_is_on_the_guests_router() {
    let app = TestApp::spawn().await;
    let (_, _, guest, _) = crate::inquiries::inquiry(&app).await;
    let operations = operations(&app).await;
    for listed in GUEST_OPERATIONS {
        assert!(operations.iter().any(|(m, p)| (m.as_str(), p.as_str()) == *listed), "{listed:?} is documented");
    }
    for (method, path) in operations {
        if call(&app, &method, &path, None).await.0 != 401 {
            continue; // needs nobody signed in (health, the document, sign-in, an inquiry link)
        }
        let (status, code) = call(&app, &method, &path, Some(&guest.token)).await;
        if (method.as_str(), path.as_str()) == RENEWAL {
            assert_eq!((status, code.as_deref()), (401, Some("unauthenticated")), "{method} {path}");
        } else if path.starts_with(INTEGRATIONS) {
            assert_eq!((status, code.as_deref()), (401, Some("provisioning_token_invalid")), "{method} {path}");
        } else if codeless(&path) {
            // The same refusal in the dialect's shape: `{"error"}`, no code.
            assert_eq!((status, code.as_deref()), (403, None), "{method} {path}");
        } else if GUEST_OPERATIONS.contains(&(method.as_str(), path.as_str())) {
            assert_ne!(code.as_deref(), Some("guest_confined"), "{method} {path} is for guests ({status})");
        } else {
            assert_eq!((status, code.as_deref()), (403, Some("guest_confined")), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn every_write_refuses_a_suspended_person_unless_it_is_on_the_suspendeds_router() {
    let app = TestApp::spawn().await;
    let (admin, student) = (app.user("admin", "A").await, app.user("student", "S").await);
    let path = format!("/api/admin/users/{}/suspend", student.id);
    let suspend = app.http.post(app.url(&path)).bearer_auth(&admin.token).json(&json!({ "reason": "x" }));
    assert_eq!(suspend.send().await.expect("POST").status(), 204);
    let operations = operations(&app).await;
    for listed in SUSPENDED_WRITES {
        assert!(operations.iter().any(|(m, p)| (m.as_str(), p.as_str()) == *listed), "{listed:?} is documented");
    }
    for (method, path) in operations {
        if method == "GET" || call(&app, &method, &path, None).await.0 != 401 {
            continue; // reads stay open to them; some writes need nobody signed in
        }
        let (status, code) = call(&app, &method, &path, Some(&student.token)).await;
        if (method.as_str(), path.as_str()) == RENEWAL {
            assert_eq!((status, code.as_deref()), (401, Some("unauthenticated")), "{method} {path}");
        } else if path.starts_with(INTEGRATIONS) {
            assert_eq!((status, code.as_deref()), (401, Some("provisioning_token_invalid")), "{method} {path}");
        } else if codeless(&path) {
            // The core's rule in the dialect's shape (`{"error"}`, no code to tell one 403 from
            // another): what stays open to them in the core stays open there, every other write
            // is refused.
            if !CODELESS_SUSPENDED_WRITES.contains(&(method.as_str(), path.as_str())) {
                assert_eq!((status, code.as_deref()), (403, None), "{method} {path}");
            }
        } else if SUSPENDED_WRITES.contains(&(method.as_str(), path.as_str())) {
            assert_ne!(code.as_deref(), Some("account_suspended"), "{method} {path} stays open to them ({status})");
        } else {
            assert_eq!((status, code.as_deref()), (403, Some("account_suspended")), "{method} {path}");
        }
    }
}

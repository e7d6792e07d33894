//! The OpenAPI document is the contract a school's developer generates a client from: it must
//! have every route of the router, no route the router lacks, and every operation's answers
//! described. (Its validity as OpenAPI 3.1, and the server's agreement with it, are checked by
//! standard tools in `scripts/contract`.)

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{TestApp, status_and_json};

/// Every `.route("path", method(..).method(..))` in the server's source, as (METHOD, path).
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut files = vec![std::path::PathBuf::from("src")];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).expect("read dir").map(|e| e.expect("entry").path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        for (at, _) in text.match_indices(".route(\"") {
            let rest = &text[at + 8..];
            let Some(end) = rest.find('"') else { continue };
            let route = &rest[..end];
            // The methods chained in its second argument, up to the route's closing parenthesis.
            let (mut depth, mut close) = (1, rest.len());
            for (i, c) in rest[end..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    close = end + i;
                    break;
                }
            }
            let handlers = &rest[end..close];
            for method in ["get", "post", "put", "patch", "delete", "any"] {
                let called = handlers
                    .match_indices(&format!("{method}("))
                    .any(|(i, _)| i == 0 || !handlers[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if called {
                    routes.insert((method.to_uppercase(), route.to_owned()));
                }
            }
        }
    }
    routes
}

#[tokio::test]
async fn the_document_has_exactly_the_routers_routes_each_answer_described() {
    let app = TestApp::spawn().await;
    let (status, document): (u16, Value) =
        status_and_json(app.http.get(app.url("/api/openapi.json")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    let mut documented = BTreeSet::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            documented.insert((method.to_uppercase(), path.clone()));
            // OpenAPI 3.1 §4.8.10: an operationId is unique among all operations.
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(operation_ids.insert(id.to_owned()), "{method} {path}: operationId {id} is not unique");
            for (code, response) in operation["responses"].as_object().expect("responses") {
                let described = response["description"].as_str().is_some_and(|d| !d.is_empty());
                assert!(described, "{method} {path} {code}: no description");
                if code.starts_with('4') || code.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    let own = path == "/healthz" || path == "/readyz"; // their 503 is their Health
                    // The `/api/v1` dialect's errors are its contract's `{"error"}`.
                    let error = match path {
                        _ if path.starts_with("/api/v1/") => "V1ErrorBody",
                        _ if path.starts_with("/api/unet-chat/") => "UnetErrorBody",
                        _ if path.starts_with("/api/messenger/") => "MessengerErrorBody",
                        _ => "ErrorBody",
                    };
                    let expected = format!("#/components/schemas/{error}");
                    assert!(own || *schema == *expected, "{method} {path} {code}: {response}");
                }
            }
        }
    }
    let mut routed = routes_in_source();
    // The JSON 404 for unknown /api paths is a fallback, not an operation.
    assert!(routed.remove(&("ANY".to_owned(), "/api/{*rest}".to_owned())), "the fallback moved: {routed:?}");
    // SCIM (`src/scim`) describes itself, as RFC 7644 has it: its discovery endpoints
    // (ServiceProviderConfig, Schemas, ResourceTypes), checked by scim2-tester (`scim::conformance`).
    routed.retain(|(_, path)| !path.starts_with("/scim/v2/"));
    assert!(routed.len() >= 30, "the source scan found too few routes: {routed:?}");
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(missing.is_empty(), "routes the document lacks: {missing:?}");
    assert!(extra.is_empty(), "documented operations the router lacks: {extra:?}");
}

#[tokio::test]
async fn public_endpoints_say_so_and_the_rest_answer_401_without_a_credential() {
    let app = TestApp::spawn().await;
    let document: Value =
        app.http.get(app.url("/api/openapi.json")).send().await.expect("GET").json().await.expect("json");
    let mut public = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let open = operation["security"].as_array().is_some_and(|s| s.iter().any(|r| r == &serde_json::json!({})));
            if open {
                public.push(format!("{} {path}", method.to_uppercase()));
            } else {
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{method} {path} needs a credential but lists no 401"
                );
            }
        }
    }
    public.sort();
    assert_eq!(
        public,
        [
            "GET /api/auth/callback",
            "GET /api/auth/config",
            "GET /api/auth/login",
            "GET /api/dev/users",
            "GET /api/email/unsubscribe",
            "GET /api/inquiry/{token}",
            "GET /api/openapi.json",
            "GET /health",
            "GET /healthz",
            "GET /metrics",
            "GET /readyz",
            "POST /api/chat/chats",
            "POST /api/dev/login",
            "POST /api/email/unsubscribe",
            "POST /api/inquiry/{token}",
            "POST /api/logout",
            "POST /api/sessions/refresh",
        ]
    );
}

/// Every event the server can send is in the stream's catalogue (`x-events`), with a schema the
/// document has, and nothing else is: the event names are read from the code that makes frames.
#[tokio::test]
async fn the_streams_catalogue_has_every_event_the_server_sends() {
    let document = tutorchat::api::openapi::document();
    let catalogue = document["paths"]["/api/events/chat"]["get"]["responses"]["200"]["x-events"]
        .as_object()
        .expect("x-events")
        .clone();
    for (name, event) in &catalogue {
        let schema = event["data"]["$ref"].as_str().expect("a schema").trim_start_matches("#/components/schemas/");
        assert!(document["components"]["schemas"][schema].is_object(), "{name}: no schema {schema}");
    }
    let mut sent = BTreeSet::new();
    for file in [
        "src/realtime/frames/mod.rs",
        "src/realtime/frames/governance.rs",
        "src/realtime/frames/pairs.rs",
        "src/realtime/frames/pins.rs",
        "src/realtime/frames/reactions.rs",
        "src/realtime/signals.rs",
        "src/api/events.rs",
    ] {
        let text = std::fs::read_to_string(file).expect("source");
        for call in [
            "frame(position, \"",
            "shared(position, \"",
            "message_dispatch(position, chat_id, \"",
            "signal_frame(\"",
            "frame(head, \"",
        ] {
            for (at, _) in text.match_indices(call) {
                let rest = &text[at + call.len()..];
                sent.insert(rest[..rest.find('"').expect("closing quote")].to_owned());
            }
        }
    }
    let listed: BTreeSet<String> = catalogue.keys().cloned().collect();
    assert_eq!(listed, sent, "the catalogue and the frames the code makes differ");
    let signals: Vec<&String> = catalogue.iter().filter(|(_, e)| e["id"] == false).map(|(n, _)| n).collect();
    assert_eq!(signals, ["presence", "typing"]);
}

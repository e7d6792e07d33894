//! The OpenAPI document: generated from the handlers' annotations, then completed by the rules
//! that hold for every operation alike ([`complete`]), so that each handler states only what is
//! its own. `GET /api/openapi.json` serves it; `tutorchat openapi` prints it for the web client.
//!
//! The rules, which every handler follows because the extractors and layers it is built from do:
//! - an operation with parameters or a JSON body can answer 400 (malformed input), a JSON body
//!   also 413 (`MAX_BODY_BYTES`), 415 (not `application/json`) and 408 (stopped arriving);
//! - an operation that needs a credential answers 401 without a valid one (a guest whose chat
//!   closed too);
//! - every operation can answer 503 (the database is unreachable) and 500 (a bug of ours);
//! - every error is an `ErrorBody` (`{"error", "code"}`), and every response has a description.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tutorchat",
        description = "Chat for a tutoring school. Every error is `{\"error\": \"…\", \"code\": \"…\"}`: \
                       `error` an English sentence for people, `code` (the `Code` schema) a stable value for programs."
    ),
    paths(
        super::chats::list_chats,
        super::chats::list_all_chats,
        super::chat_settings::mute,
        super::chat_settings::unmute,
        super::chat_settings::archive,
        super::chat_settings::unarchive,
        super::pins::pin,
        super::pins::unpin,
        super::pins::list_pins,
        super::school::settings, super::school::change,
        super::groups::create,
        super::groups::details,
        super::groups::rename,
        super::groups::add,
        super::groups::remove,
        super::inquiries::links::create_link,
        super::inquiries::links::list_links,
        super::inquiries::links::revoke_link,
        super::inquiries::show,
        super::inquiries::open,
        super::history::history,
        super::search::search,
        super::attachments::upload,
        super::attachments::download::download,
        super::messages::send,
        super::direct::send_direct,
        super::messages::edit,
        super::messages::remove,
        super::reactions::add,
        super::reactions::remove,
        super::read_markers::mark_read,
        super::read_markers::unread_count,
        super::read_markers::read_markers,
        super::presence::typing,
        super::presence::presence,
        super::lessons::list,
        super::lessons::complete,
        super::integrations::upsert,
        super::integrations::cancel,
        super::integrations::batch,
        super::moderation::report,
        super::moderation::reports,
        super::moderation::hide,
        super::moderation::unhide,
        super::moderation::people::list,
        super::moderation::people::suspend,
        super::moderation::people::unsuspend,
        super::moderation::people::erase,
        super::moderation::flags::flag_terms,
        super::moderation::flags::add_flag_term,
        super::moderation::flags::remove_flag_term,
        super::moderation::flags::clear_report,
        super::readers::access_records,
        super::guardians::guardian_links,
        super::guardians::link_guardian,
        super::guardians::unlink_guardian,
        super::blocking::block_visitor,
        super::closures::request_closure,
        super::closures::my_requests,
        super::closures::all_requests,
        super::closures::close,
        super::closures::decline,
        super::departures::deactivate, super::departures::reactivate, super::departures::hand_over,
        super::held::held_messages, super::held::deliver_held,
        super::scheduled::list,
        super::scheduled::change,
        super::scheduled::cancel,
        super::readers::readers,
        super::export::export,
        super::events::stream,
        super::events::ticket,
        super::health::healthz,
        super::health::readyz,
        crate::auth::session::me,
        crate::auth::session::logout,
        crate::auth::session::dev_login,
        crate::auth::session::dev_users,
        crate::auth::devices::refresh_session, crate::auth::devices::list_sessions,
        crate::auth::devices::end_session, crate::auth::session::logout_everywhere,
        crate::auth::oidc::flow::auth_config,
        crate::auth::oidc::flow::login,
        crate::auth::oidc::flow::callback,
        openapi_json,
        super::health::metrics,
    ),
    components(schemas(
        crate::error::Code,
        super::lessons::LessonStatus,
        super::integrations::BatchLesson,
        crate::realtime::frames::MessageEvent,
        crate::realtime::frames::MessageDeletedEvent,
        crate::realtime::frames::MessagesReadEvent,
        crate::realtime::frames::ParticipantAddedEvent,
        crate::realtime::frames::ParticipantRemovedEvent,
        crate::realtime::frames::ChatRenamedEvent,
        crate::wire::events::ChatHandedOverEvent,
        crate::realtime::frames::ChatClosedEvent,
        crate::realtime::frames::ChatCreatedEvent,
        crate::realtime::frames::ResetEvent,
        crate::realtime::frames::MessageHiddenEvent,
        crate::realtime::frames::MessagesPurgedEvent,
        crate::realtime::frames::MessageReportedEvent,
        crate::realtime::frames::ChatExportedEvent,
        crate::realtime::frames::UserSuspendedEvent,
        crate::realtime::frames::UserEvent,
        crate::realtime::frames::PersonProvisionedEvent,
        crate::realtime::frames::UserActivityEvent,
        crate::realtime::frames::SchoolSettingsEvent,
        crate::realtime::frames::GuardianEvent,
        crate::realtime::frames::ChatSettingEvent,
        crate::realtime::frames::PinEvent,
        crate::realtime::frames::ReportClearedEvent,
        crate::realtime::frames::ClosureRequestEvent,
        crate::realtime::frames::ReactionEvent,
        super::export::Format,
        super::export::Lang,
        super::moderation::ReportState,
        super::moderation::ReportKind,
        super::search::SearchOrder,
        crate::realtime::signals::TypingEvent,
        crate::realtime::signals::PresenceEvent,
    )),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = []))
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components
            .add_security_scheme("cookie", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("access_token"))));
        // The marketplace dialect's anonymous buyer: the UUID their page keeps, on its routes only.
        let visitor = SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("user_id")));
        components.add_security_scheme("marketplace_visitor", visitor);
    }
}

/// This document (no credential needed). Built once per process, on the first request.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    static SERVED: LazyLock<Bytes> = LazyLock::new(|| Bytes::from(document().to_string()));
    ([(header::CONTENT_TYPE, "application/json")], SERVED.clone())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}

/// The whole document, as served.
pub fn document() -> Value {
    let api =
        ApiDoc::openapi().merge_from(super::dialects::document()).merge_from(super::email::NotificationsDoc::openapi());
    let mut document = serde_json::to_value(api).unwrap_or_else(|_| json!({}));
    complete(&mut document);
    super::text::state_in_document(&mut document);
    link(&mut document);
    crate::wire::events::catalogue(&mut document);
    always_sent(&mut document);
    // A chat's `context` is any JSON object the school chooses.
    if let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") {
        for schema in schemas.values_mut() {
            if let Some(Value::Object(context)) = schema.pointer_mut("/properties/context")
                && context.get("type").is_some_and(|t| t == "object" || t == &json!(["object", "null"]))
            {
                context.insert("additionalProperties".into(), json!(true));
            }
        }
    }
    // Attachment ids are positive: the log refuses anything else (400); one it does not know,
    // or that is not the sender's to attach, is 422.
    if let Some(Value::Object(items)) =
        document.pointer_mut("/components/schemas/SendMessage/properties/attachment_ids/items")
    {
        items.insert("minimum".into(), json!(1));
    }
    // Each at most once: the log refuses an attachment named twice (400).
    if let Some(Value::Object(ids)) = document.pointer_mut("/components/schemas/SendMessage/properties/attachment_ids")
    {
        ids.insert("uniqueItems".into(), json!(true));
    }
    // The upload form refuses any part but `file` (JSON bodies ignore unknown fields).
    if let Some(Value::Object(form)) = document.pointer_mut("/components/schemas/UploadForm") {
        form.insert("additionalProperties".into(), json!(false));
    }
    super::reactions::in_document(&mut document);
    super::dialects::in_document(&mut document);
    document
}

/// Properties of an answer that are left out when empty (`skip_serializing_if`): every other
/// property of an answer is always sent (`null` when it has no value), so it is `required`.
const SOMETIMES_SENT: &[(&str, &str)] =
    &[("Attachment", "width"), ("Attachment", "height"), ("MessagesReadEvent", "message_ids")];

/// Marks every property of the schemas that only answers use (responses and the stream's
/// events, not request bodies) as required, but [`SOMETIMES_SENT`]: a generated client then
/// knows a field is there, possibly `null`, rather than perhaps absent.
fn always_sent(document: &mut Value) {
    let refs = |value: &Value| {
        let mut found = Vec::new();
        let mut stack = vec![value];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        found.push(r.trim_start_matches("#/components/schemas/").to_owned());
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        found
    };
    // The schemas reachable from `roots`, through references.
    let closure = |roots: Vec<String>| {
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = roots;
        while let Some(name) = todo.pop() {
            if seen.insert(name.clone()) {
                todo.extend(refs(&document["components"]["schemas"][&name]));
            }
        }
        seen
    };
    let mut requests = Vec::new();
    let mut answers: Vec<String> =
        crate::wire::events::EVENTS.iter().map(|(_, schema, _)| schema.to_string()).collect();
    for item in document["paths"].as_object().into_iter().flat_map(|p| p.values()) {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            requests.extend(refs(&operation["requestBody"]));
            requests.extend(refs(&operation["parameters"]));
            answers.extend(refs(&operation["responses"]));
        }
    }
    let (requests, answers) = (closure(requests), closure(answers));
    let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") else { return };
    for name in answers.difference(&requests) {
        let Some(schema) = schemas.get_mut(name) else { continue };
        // The schema itself, or the parts of an `allOf` (a flattened struct) written inline.
        let mut parts = vec![schema];
        while let Some(part) = parts.pop() {
            let Value::Object(object) = part else { continue };
            if let Some(Value::Object(properties)) = object.get("properties") {
                let required: Vec<Value> = properties
                    .keys()
                    .filter(|p| !SOMETIMES_SENT.contains(&(name.as_str(), p.as_str())))
                    .map(|p| json!(p))
                    .collect();
                object.insert("required".into(), Value::Array(required));
            }
            if let Some(Value::Array(items)) = object.get_mut("allOf") {
                parts.extend(items.iter_mut());
            }
        }
    }
}

/// Where one operation's answer feeds another (OpenAPI links): (path, method, status, the
/// operation fed, its parameter, where the value comes from). A client generator, and a
/// contract fuzzer's stateful phase, follow them.
const LINKS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("/api/inquiry-links", "post", "201", "revoke_link", "id", "$response.body#/id"),
    ("/api/inquiry-links", "post", "201", "show", "token", "$response.body#/token"),
    ("/api/inquiry-links", "post", "201", "open", "token", "$response.body#/token"),
    ("/api/chats", "post", "201", "details", "chat_id", "$response.body#/id"),
    ("/api/chats", "post", "201", "rename", "chat_id", "$response.body#/id"),
    ("/api/chats", "post", "201", "add", "chat_id", "$response.body#/id"),
    ("/api/chats", "post", "201", "history", "chat_id", "$response.body#/id"),
    ("/api/chats/{chat_id}/participants", "post", "201", "remove_participant", "chat_id", "$request.path.chat_id"),
    ("/api/messages", "post", "201", "edit", "id", "$response.body#/id"),
    ("/api/messages", "post", "201", "delete_message", "id", "$response.body#/id"),
    ("/api/messages", "post", "201", "history", "chat_id", "$response.body#/chat_id"),
    ("/api/chats/{chat_id}/attachments", "post", "201", "download", "id", "$response.body#/id"),
    ("/api/inquiry/{token}", "post", "201", "history", "chat_id", "$response.body#/chat_id"),
];

fn link(document: &mut Value) {
    for (path, method, status, operation, parameter, from) in LINKS {
        let pointer = format!("/paths/{}/{method}/responses/{status}", path.replace('/', "~1"));
        if let Some(Value::Object(response)) = document.pointer_mut(&pointer) {
            let links = response.entry("links").or_insert_with(|| json!({}));
            links[format!("{operation}_{parameter}")] =
                json!({ "operationId": operation, "parameters": { *parameter: from } });
        }
    }
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Applies the rules of the module's documentation to every operation.
fn complete(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) else { continue };
            let public = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(serde_json::Map::is_empty)));
            let json_body =
                operation.get("requestBody").and_then(|b| b.pointer("/content/application~1json")).is_some();
            let parameters = path.contains('{') || operation.get("parameters").is_some();
            let responses = operation.entry("responses").or_insert_with(|| json!({}));
            let Some(responses) = responses.as_object_mut() else { continue };
            let mut add = |status: StatusCode| {
                responses.entry(status.as_str()).or_insert_with(|| error_response(status));
            };
            if parameters || json_body {
                add(StatusCode::BAD_REQUEST);
            }
            if json_body {
                add(StatusCode::REQUEST_TIMEOUT);
                add(StatusCode::PAYLOAD_TOO_LARGE);
                add(StatusCode::UNSUPPORTED_MEDIA_TYPE);
            }
            if !public {
                add(StatusCode::UNAUTHORIZED);
            }
            add(StatusCode::INTERNAL_SERVER_ERROR);
            add(StatusCode::SERVICE_UNAVAILABLE);
            for (status, response) in responses.iter_mut() {
                let described = response.get("description").and_then(Value::as_str).is_some_and(|d| !d.is_empty());
                if !described && let Some(response) = response.as_object_mut() {
                    let reason = status.parse::<u16>().ok().and_then(|s| StatusCode::from_u16(s).ok());
                    let reason = reason.and_then(|s| s.canonical_reason()).unwrap_or("the answer");
                    response.insert("description".into(), json!(reason.to_lowercase()));
                }
            }
        }
    }
}

/// An error response of `status`: an `ErrorBody`.
fn error_response(status: StatusCode) -> Value {
    let description = match status {
        StatusCode::BAD_REQUEST => "malformed input: a parameter, the path or the body (`error` names it)",
        StatusCode::UNAUTHORIZED => "no valid credential (or a guest whose inquiry chat was closed)",
        StatusCode::REQUEST_TIMEOUT => "the request body stopped arriving (HTTP_BODY_TIMEOUT_SECS)",
        StatusCode::PAYLOAD_TOO_LARGE => "the body is larger than MAX_BODY_BYTES",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "the body is not `application/json`",
        StatusCode::INTERNAL_SERVER_ERROR => "a bug of ours: the replica's log has the cause (by X-Request-ID)",
        StatusCode::SERVICE_UNAVAILABLE => "the database cannot be reached right now: retry shortly",
        _ => status.canonical_reason().unwrap_or("an error"),
    };
    let mut response = json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
    });
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response["headers"] = json!({ "Retry-After": {
            "description": "seconds to wait before retrying",
            "schema": { "type": "integer", "minimum": 1 }
        }});
    }
    response
}

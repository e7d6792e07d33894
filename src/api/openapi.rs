//! The OpenAPI description, generated from the handlers' annotations.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "tutorchat", description = "Chat for a tutoring school. Errors are `{\"error\": \"…\"}`."),
    paths(
        super::chats::list_chats,
        super::chats::list_all_chats,
        super::groups::create,
        super::groups::details,
        super::groups::rename,
        super::groups::add,
        super::groups::remove,
        super::inquiries::create_link,
        super::inquiries::list_links,
        super::inquiries::revoke_link,
        super::inquiries::show,
        super::inquiries::open,
        super::history::history,
        super::attachments::upload,
        super::attachments::download::download,
        super::messages::send,
        super::direct::send_direct,
        super::messages::edit,
        super::messages::remove,
        super::reads::mark_read,
        super::reads::unread_count,
        super::presence::typing,
        super::presence::presence,
        super::lessons::list,
        super::lessons::complete,
        crate::realtime::stream::stream,
        super::health::healthz,
        super::health::readyz,
        crate::auth::session::me,
        crate::auth::session::logout,
        crate::auth::session::dev_login,
        crate::auth::session::dev_users,
    ),
    components(schemas(
        crate::realtime::frames::MessageEvent,
        crate::realtime::frames::MessageDeletedEvent,
        crate::realtime::frames::MessagesReadEvent,
        crate::realtime::frames::ParticipantAddedEvent,
        crate::realtime::frames::ParticipantRemovedEvent,
        crate::realtime::frames::ChatRenamedEvent,
        crate::realtime::frames::ChatClosedEvent,
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
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}

//! What this SCIM server supports, as the discovery endpoints say it (RFC 7644 §4): exactly
//! what works. PATCH yes; bulk, sorting, ETags and password changes no; filters yes (up to
//! [`MAX_RESULTS`] a page; the operators of `filter.rs`). The User schema lists the attributes
//! kept (`resource.rs` maps them): userName, displayName, emails and active are marked required
//! (a person here has a name and an email; `active` absent on a request means true), the
//! tutorchat extension names the students a guardian is a guardian of.

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::{ScimError, scim_json};
use crate::AppState;
use crate::access::ScimClient;

/// The most resources one page of a list holds (`count` above it is lowered to it).
pub const MAX_RESULTS: i64 = 200;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const TUTORCHAT_USER: &str = "urn:tutorchat:params:scim:schemas:extension:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/ServiceProviderConfig", get(service_provider_config))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
}

/// An attribute's definition (RFC 7643 §7).
fn attribute(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": name, "required": required,
        "caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": uniqueness,
    })
}

fn reference(name: &str, to: &[&str], mutability: &str) -> Value {
    let mut reference = attribute(name, "reference", false, mutability, "none");
    reference["referenceTypes"] = json!(to);
    reference
}

fn multi_complex(name: &str, required: bool, mutability: &str, sub: Vec<Value>) -> Value {
    let mut complex = attribute(name, "complex", required, mutability, "none");
    complex["multiValued"] = true.into();
    complex["subAttributes"] = sub.into();
    complex
}

fn meta(resource_type: &str, location: &str) -> Value {
    json!({ "resourceType": resource_type, "location": location })
}

fn all_schemas() -> Vec<Value> {
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "A person: a student, a teacher, a guardian",
        "attributes": [
            attribute("userName", "string", true, "readWrite", "server"),
            attribute("displayName", "string", true, "readWrite", "none"),
            multi_complex("emails", true, "readWrite", vec![attribute("value", "string", true, "readWrite", "none")]),
            attribute("active", "boolean", true, "readWrite", "none"),
            multi_complex("groups", false, "readOnly", vec![
                attribute("value", "string", false, "readOnly", "none"),
                reference("$ref", &["Group"], "readOnly"),
                attribute("display", "string", false, "readOnly", "none"),
            ]),
        ],
        "meta": meta("Schema", &format!("/scim/v2/Schemas/{USER_SCHEMA}")),
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA, "name": "Group", "description": "A group of the directory; some carry a role",
        "attributes": [
            attribute("displayName", "string", true, "readWrite", "server"),
            multi_complex("members", false, "readWrite", vec![
                attribute("value", "string", false, "immutable", "none"),
                reference("$ref", &["User"], "immutable"),
            ]),
        ],
        "meta": meta("Schema", &format!("/scim/v2/Schemas/{GROUP_SCHEMA}")),
    });
    let tutorchat = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": TUTORCHAT_USER, "name": "TutorchatUser", "description": "What tutorchat adds to a User",
        "attributes": [
            multi_complex("guardianOf", false, "readWrite", vec![
                attribute("value", "string", false, "readWrite", "none"),
                reference("$ref", &["User"], "readWrite"),
            ]),
        ],
        "meta": meta("Schema", &format!("/scim/v2/Schemas/{TUTORCHAT_USER}")),
    });
    vec![user, group, tutorchat]
}

fn all_resource_types() -> Vec<Value> {
    let kind = |id: &str, endpoint: &str, schema: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": id, "name": id, "endpoint": endpoint, "schema": schema,
            "meta": meta("ResourceType", &format!("/scim/v2/ResourceTypes/{id}")),
        })
    };
    let mut user = kind("User", "/Users", USER_SCHEMA);
    user["schemaExtensions"] = json!([{ "schema": TUTORCHAT_USER, "required": false }]);
    vec![user, kind("Group", "/Groups", GROUP_SCHEMA)]
}

fn list(resources: Vec<Value>) -> Value {
    json!({ "schemas": [LIST_RESPONSE], "totalResults": resources.len(), "startIndex": 1,
            "itemsPerPage": resources.len(), "Resources": resources })
}

async fn service_provider_config(_: ScimClient) -> Response {
    let config = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token",
            "description": "The provisioning client's token (tutorchat provisioning-client create NAME --scopes scim)",
            "primary": true,
        }],
        "meta": meta("ServiceProviderConfig", "/scim/v2/ServiceProviderConfig"),
    });
    scim_json(StatusCode::OK, &config)
}

async fn schemas(_: ScimClient) -> Response {
    scim_json(StatusCode::OK, &list(all_schemas()))
}

async fn schema(_: ScimClient, Path(id): Path<String>) -> Result<Response, ScimError> {
    let found = all_schemas().into_iter().find(|s| s["id"] == id.as_str()).ok_or(ScimError::not_found("schema"))?;
    Ok(scim_json(StatusCode::OK, &found))
}

async fn resource_types(_: ScimClient) -> Response {
    scim_json(StatusCode::OK, &list(all_resource_types()))
}

async fn resource_type(_: ScimClient, Path(id): Path<String>) -> Result<Response, ScimError> {
    let found = all_resource_types()
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .ok_or(ScimError::not_found("resource type"))?;
    Ok(scim_json(StatusCode::OK, &found))
}

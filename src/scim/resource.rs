//! The SCIM User as tutorchat keeps it: userName → users.user_name, displayName → users.name,
//! emails[0].value → users.email, active → users.deactivated_at, externalId →
//! users.external_id, the tutorchat extension's guardianOf → guardian_links, groups (read only)
//! → scim_group_members. Rendering ([`render_user`]), reading a request's body
//! ([`UserInput::from_json`]), lists with their pages and the `attributes` and
//! `excludedAttributes` parameters ([`page`], of a page `query.rs` read).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use super::ScimError;
use super::discovery::{LIST_RESPONSE, MAX_RESULTS, TUTORCHAT_USER, USER_SCHEMA};
use super::filter;
use crate::AppState;

/// Where this server's SCIM endpoints are, as the request reached them (the `Host` header, and
/// `X-Forwarded-Proto` behind a proxy): the base of `meta.location` and of every `$ref`.
pub struct Base(pub String);

impl FromRequestParts<AppState> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let proto = header("x-forwarded-proto").unwrap_or_else(|| "http".to_owned());
        Ok(Self(match header("host") {
            Some(host) => format!("{proto}://{host}/scim/v2"),
            None => "/scim/v2".to_owned(),
        }))
    }
}

/// A person as SCIM sees them.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub id: i64,
    pub user_name: String,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub external_id: Option<String>,
    pub role: crate::auth::Role,
    pub created_at: OffsetDateTime,
    /// (group id, its display name).
    pub groups: Vec<(i64, String)>,
    /// The students they are a guardian of now.
    pub guardian_of: Vec<i64>,
}

/// Person `id`, if a SCIM client manages them (they have a userName).
pub async fn load_user(db: &impl GenericClient, id: i64) -> Result<Option<ScimUser>, ScimError> {
    Ok(load_users_by_id(db, &[id]).await?.pop())
}

/// The people among `ids` a SCIM client manages, by id: what a page renders, and no more.
pub async fn load_users_by_id(db: &impl GenericClient, ids: &[i64]) -> Result<Vec<ScimUser>, ScimError> {
    const SQL: &str = "SELECT u.id, u.user_name, u.name::text AS name, u.email::text AS email,
                              u.deactivated_at IS NULL AS active, u.external_id, u.role, u.created_at,
                              coalesce((SELECT array_agg(g.id ORDER BY g.id) FROM scim_group_members m
                                        JOIN scim_groups g ON g.id = m.group_id WHERE m.user_id = u.id), '{}') AS group_ids,
                              coalesce((SELECT array_agg(g.display_name ORDER BY g.id) FROM scim_group_members m
                                        JOIN scim_groups g ON g.id = m.group_id WHERE m.user_id = u.id), '{}') AS group_names
                       FROM users u
                       WHERE u.user_name IS NOT NULL AND u.id = ANY($1)
                       ORDER BY u.id";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db.query(SQL, &[&ids]).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut wards = crate::access::linked_students(db, &ids).await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let ids: Vec<i64> = r.try_get("group_ids")?;
            let names: Vec<String> = r.try_get("group_names")?;
            Ok(ScimUser {
                id,
                user_name: r.try_get("user_name")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                active: r.try_get("active")?,
                external_id: r.try_get("external_id")?,
                role: r.try_get("role")?,
                created_at: r.try_get("created_at")?,
                groups: ids.into_iter().zip(names).collect(),
                guardian_of: wards.remove(&id).unwrap_or_default(),
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(Into::into)
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The User resource.
pub fn render_user(user: &ScimUser, base: &Base) -> Value {
    let location = format!("{}/Users/{}", base.0, user.id);
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id.to_string(),
        "userName": user.user_name,
        "displayName": user.name,
        "emails": [{ "value": user.email }],
        "active": user.active,
        "meta": { "resourceType": "User", "created": rfc3339(user.created_at),
                  "lastModified": rfc3339(user.created_at), "location": location },
    });
    if let Some(external_id) = &user.external_id {
        resource["externalId"] = external_id.as_str().into();
    }
    if !user.groups.is_empty() {
        let groups: Vec<Value> = user
            .groups
            .iter()
            .map(|(id, name)| json!({ "value": id.to_string(), "$ref": format!("{}/Groups/{id}", base.0), "display": name }))
            .collect();
        resource["groups"] = groups.into();
    }
    if !user.guardian_of.is_empty() {
        let students: Vec<Value> = user
            .guardian_of
            .iter()
            .map(|id| json!({ "value": id.to_string(), "$ref": format!("{}/Users/{id}", base.0) }))
            .collect();
        resource["schemas"] = json!([USER_SCHEMA, TUTORCHAT_USER]);
        resource[TUTORCHAT_USER] = json!({ "guardianOf": students });
    }
    resource
}

/// What a request says of a User.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    pub user_name: String,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub external_id: Option<String>,
    pub guardian_of: Vec<i64>,
}

/// A field by name in any case.
pub fn field<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).filter(|v| !v.is_null())
}

/// A resource id in a `value` or at the end of a `$ref`.
pub fn referenced_id(item: &Value) -> Result<i64, ScimError> {
    let text = match (field(item, "value"), field(item, "$ref")) {
        (Some(Value::String(v)), _) => v.clone(),
        (_, Some(Value::String(r))) => r.rsplit('/').next().unwrap_or_default().to_owned(),
        (Some(Value::Number(n)), _) => n.to_string(),
        _ => return Err(ScimError::bad("invalidValue", "a reference needs a value (an id)")),
    };
    text.parse().map_err(|_| ScimError::bad("invalidValue", format!("{text} is no id of this server")))
}

/// `active` as a boolean or as Entra ID's "True"/"False".
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

impl UserInput {
    pub fn from_json(body: &Value) -> Result<Self, ScimError> {
        let text =
            |v: Option<&Value>| v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let user_name =
            text(field(body, "userName")).ok_or_else(|| ScimError::bad("invalidValue", "userName is required"))?;
        let name = field(body, "name");
        let given = [text(name.and_then(|n| field(n, "givenName"))), text(name.and_then(|n| field(n, "familyName")))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let display = text(field(body, "displayName"))
            .or_else(|| text(name.and_then(|n| field(n, "formatted"))))
            .or_else(|| Some(given).filter(|g| !g.is_empty()))
            .unwrap_or_else(|| user_name.clone());
        let emails = field(body, "emails").and_then(Value::as_array).cloned().unwrap_or_default();
        let typed = |kind: &str| emails.iter().find(|e| field(e, "type").and_then(Value::as_str) == Some(kind));
        let primary = emails
            .iter()
            .find(|e| field(e, "primary").and_then(boolean) == Some(true))
            .or_else(|| typed("work"))
            .or(emails.first());
        let email = text(primary.and_then(|e| field(e, "value")))
            .or_else(|| user_name.contains('@').then(|| user_name.clone()))
            .ok_or_else(|| ScimError::bad("invalidValue", "an email (emails[].value) is required"))?;
        let active = match field(body, "active") {
            None => true,
            Some(v) => boolean(v).ok_or_else(|| ScimError::bad("invalidValue", "active is true or false"))?,
        };
        let extension = field(body, TUTORCHAT_USER);
        let guardian_of = match extension.and_then(|x| field(x, "guardianOf")) {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(referenced_id).collect::<Result<_, _>>()?,
            Some(_) => return Err(ScimError::bad("invalidValue", "guardianOf is a list of student Users")),
        };
        let external_id = text(field(body, "externalId"));
        Ok(Self { user_name, name: display, email, active, external_id, guardian_of })
    }
}

/// The query of a list (`GET /Users?…`) or the body of a search (`POST /Users/.search`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// The `attributes` / `excludedAttributes` of a request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// `resource` with only the attributes asked for (`id` and `schemas` always), or without those
/// excluded. A sub-attribute names its whole attribute.
pub fn project(mut resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let Some(fields) = resource.as_object_mut() else { return resource };
    // An extension's URN names all of it; otherwise the (first) attribute a path names.
    let urns: Vec<String> = fields.keys().filter(|k| k.starts_with("urn:")).map(|k| k.to_lowercase()).collect();
    let names =
        |text: &str| -> Vec<String> {
            text.split(',')
                .map(|a| a.trim().to_lowercase())
                .map(|a| {
                    if urns.contains(&a) {
                        a
                    } else {
                        filter::attribute_path(&a).into_iter().next().unwrap_or_default()
                    }
                })
                .filter(|a| !a.is_empty())
                .collect()
        };
    let always = |k: &str| k == "id" || k == "schemas";
    if let Some(wanted) = attributes.map(names).filter(|w| !w.is_empty()) {
        fields.retain(|k, v| {
            if always(k) {
                return true;
            }
            if wanted.contains(&k.to_lowercase()) {
                return true;
            }
            if k.starts_with("urn:") {
                if let Some(ext) = v.as_object_mut() {
                    ext.retain(|a, _| wanted.contains(&a.to_lowercase()));
                }
                return v.as_object().is_some_and(|e| !e.is_empty());
            }
            wanted.contains(&k.to_lowercase())
        });
    } else if let Some(unwanted) = excluded.map(names) {
        fields.retain(|k, v| {
            if unwanted.contains(&k.to_lowercase()) {
                return false;
            }
            if k.starts_with("urn:") {
                if let Some(ext) = v.as_object_mut() {
                    ext.retain(|a, _| !unwanted.contains(&a.to_lowercase()));
                }
                return v.as_object().is_some_and(|e| !e.is_empty());
            }
            always(k) || !unwanted.contains(&k.to_lowercase())
        });
    }
    resource
}

/// What a list asks for: its filter (parsed), the first index (1-based) and how many.
pub struct Paging {
    pub filter: Option<filter::Filter>,
    pub start: i64,
    pub count: i64,
}

impl Paging {
    /// A blank filter is none; a bad one is 400 `invalidFilter`; `count` at most
    /// [`MAX_RESULTS`].
    pub fn of(query: &ListQuery) -> Result<Self, ScimError> {
        let filter = match query.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            None => None,
            Some(text) => Some(filter::parse(text).map_err(|e| ScimError::bad("invalidFilter", e))?),
        };
        let start = query.start_index.unwrap_or(1).max(1);
        let count = query.count.unwrap_or(MAX_RESULTS).clamp(0, MAX_RESULTS);
        Ok(Self { filter, start, count })
    }
}

/// The ListResponse of one page, `resources` being that page (already filtered and paged, in
/// SQL: `query.rs`) of `total` matching ones.
pub fn page(total: i64, paging: &Paging, resources: Vec<Value>, query: &ListQuery) -> Value {
    let items: Vec<Value> = resources
        .into_iter()
        .map(|r| project(r, query.attributes.as_deref(), query.excluded_attributes.as_deref()))
        .collect();
    json!({ "schemas": [LIST_RESPONSE], "totalResults": total, "startIndex": paging.start,
            "itemsPerPage": items.len(), "Resources": items })
}

/// The body as JSON, whatever its content type says.
pub fn json_body(body: &axum::body::Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))
}

pub fn id_of(text: &str, what: &str) -> Result<i64, ScimError> {
    text.parse().map_err(|_| ScimError::not_found(what))
}

/// The `.search` body: `attributes` and `excludedAttributes` as lists.
pub fn search_query(body: &Value) -> Result<ListQuery, ScimError> {
    let list = |name: &str| match field(body, name) {
        Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(ListQuery {
        filter: field(body, "filter").and_then(Value::as_str).map(str::to_owned),
        start_index: field(body, "startIndex").and_then(Value::as_i64),
        count: field(body, "count").and_then(Value::as_i64),
        attributes: list("attributes"),
        excluded_attributes: list("excludedAttributes"),
    })
}

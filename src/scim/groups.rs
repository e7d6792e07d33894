//! `/scim/v2/Groups`: the directory's groups (id, displayName, externalId, members), kept as
//! the client pushes them. A group that `SCIM_ROLE_GROUPS` maps to a role gives its members
//! that role (`roles.rs`, by `user_changed` events); the rest mean nothing here. Members are
//! Users of this SCIM server (a person it manages), by id.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use super::discovery::GROUP_SCHEMA;
use super::query::{self, Kind};
use super::resource::{
    self, Base, ListQuery, Paging, Projection, field, id_of, json_body, referenced_id, rfc3339, search_query,
};
use super::{ScimError, patch, roles, scim_json};
use crate::AppState;
use crate::access::ScimClient;
use crate::log::people::By;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/Groups", get(list).post(create))
        .route("/scim/v2/Groups/.search", post(search))
        .route("/scim/v2/Groups/{id}", get(show).put(replace).patch(modify).delete(remove))
}

struct Group {
    id: i64,
    display_name: String,
    external_id: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    members: Vec<i64>,
}

/// The groups among `ids`, by id, with their members: what a page renders, and no more.
async fn load(db: &impl GenericClient, ids: &[i64]) -> Result<Vec<Group>, ScimError> {
    const SQL: &str = "SELECT g.id, g.display_name, g.external_id, g.created_at, g.updated_at,
                              coalesce((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM scim_group_members m
                                        JOIN users u ON u.id = m.user_id AND u.user_name IS NOT NULL
                                        WHERE m.group_id = g.id), '{}') AS members
                       FROM scim_groups g WHERE g.id = ANY($1) ORDER BY g.id";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db.query(SQL, &[&ids]).await?;
    rows.iter()
        .map(|r| {
            Ok(Group {
                id: r.try_get("id")?,
                display_name: r.try_get("display_name")?,
                external_id: r.try_get("external_id")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
                members: r.try_get("members")?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(Into::into)
}

fn render(group: &Group, base: &Base) -> Value {
    let mut resource = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.to_string(),
        "displayName": group.display_name,
        "meta": { "resourceType": "Group", "created": rfc3339(group.created_at),
                  "lastModified": rfc3339(group.updated_at), "location": format!("{}/Groups/{}", base.0, group.id) },
    });
    if let Some(external_id) = &group.external_id {
        resource["externalId"] = external_id.as_str().into();
    }
    if !group.members.is_empty() {
        let members: Vec<Value> = group
            .members
            .iter()
            .map(|id| json!({ "value": id.to_string(), "$ref": format!("{}/Users/{id}", base.0) }))
            .collect();
        resource["members"] = members.into();
    }
    resource
}

struct GroupInput {
    display_name: String,
    external_id: Option<String>,
    members: Vec<i64>,
}

impl GroupInput {
    fn from_json(body: &Value) -> Result<Self, ScimError> {
        let text =
            |v: Option<&Value>| v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let display_name = text(field(body, "displayName"))
            .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required"))?;
        let mut members: Vec<i64> = match field(body, "members") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(referenced_id).collect::<Result<_, _>>()?,
            Some(_) => return Err(ScimError::bad("invalidValue", "members is a list")),
        };
        members.sort_unstable();
        members.dedup();
        Ok(Self { display_name, external_id: text(field(body, "externalId")), members })
    }
}

/// Writes `input` into group `id` (its members replaced) and gives the people in it, and
/// those who left it, the role their groups say.
async fn store(
    db: &impl GenericClient,
    state: &AppState,
    by: &By,
    id: i64,
    input: &GroupInput,
) -> Result<(), ScimError> {
    const UPDATE: &str = "UPDATE scim_groups SET display_name = $2, external_id = $3, updated_at = now() WHERE id = $1";
    db.execute(UPDATE, &[&id, &input.display_name, &input.external_id]).await.map_err(taken)?;
    const KNOWN: &str = "SELECT count(*) FROM users WHERE id = ANY($1) AND user_name IS NOT NULL";
    let known: i64 = db.query_one(KNOWN, &[&input.members]).await?.get(0);
    if known != input.members.len() as i64 {
        return Err(ScimError::bad("invalidValue", "members are Users of this server"));
    }
    const BEFORE: &str = "DELETE FROM scim_group_members WHERE group_id = $1 RETURNING user_id";
    let mut affected: Vec<i64> = db.query(BEFORE, &[&id]).await?.iter().map(|r| r.get(0)).collect();
    const INSERT: &str = "INSERT INTO scim_group_members (group_id, user_id) SELECT $1, unnest($2::bigint[])";
    db.execute(INSERT, &[&id, &input.members]).await?;
    affected.extend(&input.members);
    affected.sort_unstable();
    affected.dedup();
    roles::apply(db, &state.config.scim, by, &affected).await
}

/// A display name or an external id another group has: 409 `uniqueness`.
fn taken(e: tokio_postgres::Error) -> ScimError {
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            "another group has this displayName or externalId".into(),
        ),
        _ => e.into(),
    }
}

async fn answer(db: &impl GenericClient, base: &Base, id: i64, status: StatusCode) -> Result<Response, ScimError> {
    let group = load(db, &[id]).await?.pop().ok_or_else(|| ScimError::not_found("group"))?;
    let body = render(&group, base);
    let mut response = scim_json(status, &body);
    if status == StatusCode::CREATED
        && let Some(location) = body["meta"]["location"].as_str().and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `paging`'s filter on Groups: how many match, and the rendered ones after the first `offset`,
/// at most `limit` (only those read, members included).
pub(super) async fn page(
    db: &impl GenericClient,
    paging: &Paging,
    base: &Base,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Value>), ScimError> {
    let (total, ids) = query::page(db, Kind::Groups, paging, &base.0, offset, limit).await?;
    Ok((total, load(db, &ids).await?.iter().map(|g| render(g, base)).collect()))
}

async fn list(
    _: ScimClient,
    State(state): State<AppState>,
    base: Base,
    Query(query): Query<ListQuery>,
) -> Result<Response, ScimError> {
    let db = state.db.get().await?;
    Ok(scim_json(StatusCode::OK, &groups_page(&**db, &base, &query).await?))
}

async fn search(_: ScimClient, State(state): State<AppState>, base: Base, body: Bytes) -> Result<Response, ScimError> {
    let query = search_query(&json_body(&body)?)?;
    let db = state.db.get().await?;
    Ok(scim_json(StatusCode::OK, &groups_page(&**db, &base, &query).await?))
}

/// The page of Groups `query` asks for.
async fn groups_page(db: &impl GenericClient, base: &Base, query: &ListQuery) -> Result<Value, ScimError> {
    let paging = Paging::of(query)?;
    let (total, groups) = page(db, &paging, base, paging.start - 1, paging.count).await?;
    Ok(resource::page(total, &paging, groups, query))
}

async fn show(
    _: ScimClient,
    State(state): State<AppState>,
    base: Base,
    Path(id): Path<String>,
    Query(projection): Query<Projection>,
) -> Result<Response, ScimError> {
    let db = state.db.get().await?;
    let group = load(&**db, &[id_of(&id, "group")?]).await?.pop().ok_or_else(|| ScimError::not_found("group"))?;
    let body = resource::project(
        render(&group, &base),
        projection.attributes.as_deref(),
        projection.excluded_attributes.as_deref(),
    );
    Ok(scim_json(StatusCode::OK, &body))
}

async fn create(
    ScimClient(client): ScimClient,
    State(state): State<AppState>,
    base: Base,
    body: Bytes,
) -> Result<Response, ScimError> {
    let input = GroupInput::from_json(&json_body(&body)?)?;
    let mut db = state.db.get().await?;
    let tx = db.transaction().await?;
    const INSERT: &str = "INSERT INTO scim_groups (display_name, external_id) VALUES ($1, $2) RETURNING id";
    let id: i64 = tx.query_one(INSERT, &[&input.display_name, &input.external_id]).await.map_err(taken)?.get(0);
    store(&*tx, &state, &By::Client(client.name), id, &input).await?;
    tx.commit().await?;
    answer(&**db, &base, id, StatusCode::CREATED).await
}

async fn existing(db: &impl GenericClient, id: &str) -> Result<i64, ScimError> {
    let id = id_of(id, "group")?;
    db.query_opt("SELECT 1 FROM scim_groups WHERE id = $1", &[&id])
        .await?
        .ok_or_else(|| ScimError::not_found("group"))?;
    Ok(id)
}

async fn replace(
    ScimClient(client): ScimClient,
    State(state): State<AppState>,
    base: Base,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ScimError> {
    let input = GroupInput::from_json(&json_body(&body)?)?;
    let mut db = state.db.get().await?;
    let tx = db.transaction().await?;
    let id = existing(&*tx, &id).await?;
    store(&*tx, &state, &By::Client(client.name), id, &input).await?;
    tx.commit().await?;
    answer(&**db, &base, id, StatusCode::OK).await
}

async fn modify(
    ScimClient(client): ScimClient,
    State(state): State<AppState>,
    base: Base,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ScimError> {
    let body = json_body(&body)?;
    let mut db = state.db.get().await?;
    let tx = db.transaction().await?;
    let id = existing(&*tx, &id).await?;
    let group = load(&*tx, &[id]).await?.pop().ok_or_else(|| ScimError::not_found("group"))?;
    let mut resource = render(&group, &base);
    patch::apply(&mut resource, &body, &[])?;
    store(&*tx, &state, &By::Client(client.name), id, &GroupInput::from_json(&resource)?).await?;
    tx.commit().await?;
    answer(&**db, &base, id, StatusCode::OK).await
}

async fn remove(
    ScimClient(_): ScimClient,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let db = state.db.get().await?;
    let id = existing(&**db, &id).await?;
    // Its members keep the role they have (a person in no mapped group keeps theirs).
    db.execute("DELETE FROM scim_groups WHERE id = $1", &[&id]).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

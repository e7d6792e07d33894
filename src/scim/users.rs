//! `/scim/v2/Users`: create (or adopt, by email, a person made before provisioning who is no
//! admin), read, list with a filter and pages, replace, PATCH, and DELETE, which deactivates the
//! person and forgets their SCIM link (userName, externalId, groups): nothing is deleted, their
//! chats stay, and they no longer appear here (404). Every change is an event of the log by the
//! client (`crate::provisioning::people`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio_postgres::GenericClient;

use super::discovery::TUTORCHAT_USER;
use super::query::{self, Kind};
use super::resource::{
    self, Base, ListQuery, Paging, Projection, UserInput, id_of, json_body, load_user, load_users_by_id, render_user,
    search_query,
};
use super::{ScimError, patch, roles, scim_json};
use crate::AppState;
use crate::access::ScimClient;
use crate::auth::Role;
use crate::log::EventData;
use crate::log::people::{By, PersonChange};
use crate::provisioning::people;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/Users", get(list).post(create))
        .route("/scim/v2/Users/.search", post(search))
        .route("/scim/v2/.search", post(search_all))
        .route("/scim/v2/Users/{id}", get(show).put(replace).patch(modify).delete(remove))
}

/// `list` as `application/scim+json`.
async fn list(
    _: ScimClient,
    State(state): State<AppState>,
    base: Base,
    Query(query): Query<ListQuery>,
) -> Result<Response, ScimError> {
    let db = state.db.get().await?;
    Ok(scim_json(StatusCode::OK, &users_page(&**db, &base, &query).await?))
}

/// The page of Users `query` asks for: filtered, counted and paged in SQL (`query.rs`), and
/// only the page's people read and rendered.
async fn users_page(db: &impl GenericClient, base: &Base, query: &ListQuery) -> Result<Value, ScimError> {
    let paging = Paging::of(query)?;
    let (total, ids) = query::page(db, Kind::Users, &paging, &base.0, paging.start - 1, paging.count).await?;
    let users = load_users_by_id(db, &ids).await?;
    Ok(resource::page(total, &paging, users.iter().map(|u| render_user(u, base)).collect(), query))
}

async fn search(_: ScimClient, State(state): State<AppState>, base: Base, body: Bytes) -> Result<Response, ScimError> {
    let query = search_query(&json_body(&body)?)?;
    let db = state.db.get().await?;
    Ok(scim_json(StatusCode::OK, &users_page(&**db, &base, &query).await?))
}

/// `POST /.search`: Users, then Groups, as one list. Groups are read only when the page
/// reaches past the Users.
async fn search_all(
    _: ScimClient,
    State(state): State<AppState>,
    base: Base,
    body: Bytes,
) -> Result<Response, ScimError> {
    let query = search_query(&json_body(&body)?)?;
    let paging = Paging::of(&query)?;
    let db = state.db.get().await?;
    let (users_total, ids) = query::page(&**db, Kind::Users, &paging, &base.0, paging.start - 1, paging.count).await?;
    let mut page: Vec<Value> = load_users_by_id(&**db, &ids).await?.iter().map(|u| render_user(u, &base)).collect();
    let room = paging.count - page.len() as i64;
    let skip_groups = (paging.start - 1 - users_total).max(0);
    let (groups_total, groups) = super::groups::page(&**db, &paging, &base, skip_groups, room).await?;
    page.extend(groups);
    Ok(scim_json(StatusCode::OK, &resource::page(users_total + groups_total, &paging, page, &query)))
}

async fn one(db: &impl GenericClient, id: &str) -> Result<resource::ScimUser, ScimError> {
    load_user(db, id_of(id, "user")?).await?.ok_or_else(|| ScimError::not_found("user"))
}

async fn show(
    _: ScimClient,
    State(state): State<AppState>,
    base: Base,
    Path(id): Path<String>,
    Query(projection): Query<Projection>,
) -> Result<Response, ScimError> {
    let db = state.db.get().await?;
    let user = render_user(&one(&**db, &id).await?, &base);
    let user = resource::project(user, projection.attributes.as_deref(), projection.excluded_attributes.as_deref());
    Ok(scim_json(StatusCode::OK, &user))
}

/// Answers the person as stored now, with `status` (and `Location` when created).
async fn answer(db: &impl GenericClient, base: &Base, id: i64, status: StatusCode) -> Result<Response, ScimError> {
    let user = load_user(db, id).await?.ok_or_else(|| ScimError::not_found("user"))?;
    let body = render_user(&user, base);
    let mut response = scim_json(status, &body);
    if status == StatusCode::CREATED
        && let Some(location) = body["meta"]["location"].as_str().and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn create(
    ScimClient(client): ScimClient,
    State(state): State<AppState>,
    base: Base,
    body: Bytes,
) -> Result<Response, ScimError> {
    let input = UserInput::from_json(&json_body(&body)?)?;
    let by = By::Client(client.name);
    let mut db = state.db.get().await?;
    let tx = db.transaction().await?;
    const ADOPTABLE: &str = "SELECT id, role FROM users
                             WHERE lower(email) = lower($1) AND user_name IS NULL AND role NOT IN ('admin', 'guest')";
    let id = match tx.query_opt(ADOPTABLE, &[&input.email]).await? {
        Some(row) => {
            let (id, role): (i64, Role) = (row.try_get("id")?, row.try_get("role")?);
            store(&*tx, &state, &by, id, role, &input).await?;
            id
        }
        None => {
            let role = if input.guardian_of.is_empty() { Role::Student } else { Role::Guardian };
            let change = PersonChange::Provision {
                external_id: input.external_id.clone(),
                user_name: Some(input.user_name.clone()),
                name: input.name.clone(),
                email: input.email.clone(),
                role: role.as_str(),
            };
            let Some(EventData::UserProvisioned(p)) = people::append(&*tx, &by, change).await?.map(|e| e.data) else {
                return Err(crate::AppError::Internal(anyhow::anyhow!("user_provisioned not recorded")).into());
            };
            store(&*tx, &state, &by, p.user_id, role, &input).await?;
            p.user_id
        }
    };
    tx.commit().await?;
    let db = state.db.get().await?;
    answer(&**db, &base, id, StatusCode::CREATED).await
}

/// Brings person `id` (now `role`) to what `input` says: attributes, role, guardian links,
/// active, in that order (a guardian's links need the role first).
async fn store(
    db: &impl GenericClient,
    state: &AppState,
    by: &By,
    id: i64,
    role: Role,
    input: &UserInput,
) -> Result<(), ScimError> {
    let mapped = roles::mapped_role(db, &state.config.scim, id).await?;
    let role = mapped.unwrap_or(if input.guardian_of.is_empty() { role } else { Role::Guardian });
    if !input.guardian_of.is_empty() && role != Role::Guardian {
        return Err(ScimError::bad(
            "invalidValue",
            format!("a {} is nobody's guardian: guardianOf is a guardian's", role.as_str()),
        ));
    }
    let change = PersonChange::Change {
        user_id: id,
        external_id: Some(input.external_id.clone()),
        user_name: Some(Some(input.user_name.clone())),
        name: Some(input.name.clone()),
        email: Some(input.email.clone()),
        role: Some(role.as_str()),
    };
    people::append(db, by, change).await?;
    let linked = crate::access::linked_students(db, &[id]).await?.remove(&id).unwrap_or_default();
    let ends = linked.iter().filter(|s| !input.guardian_of.contains(s)).map(|&s| (s, false));
    let starts = input.guardian_of.iter().filter(|s| !linked.contains(s)).map(|&s| (s, true));
    for (student_id, linked) in ends.chain(starts).collect::<Vec<_>>() {
        let change = PersonChange::Guardian { guardian_id: id, student_id, linked };
        people::append(db, by, change).await.map_err(|e| match e.status() {
            StatusCode::NOT_FOUND => {
                ScimError::bad("invalidValue", format!("guardianOf: user {student_id} is no student"))
            }
            _ => e.into(),
        })?;
    }
    people::set_active(db, by, id, input.active).await?;
    Ok(())
}

async fn replace(
    ScimClient(client): ScimClient,
    State(state): State<AppState>,
    base: Base,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ScimError> {
    let input = UserInput::from_json(&json_body(&body)?)?;
    let mut db = state.db.get().await?;
    let tx = db.transaction().await?;
    let user = one(&*tx, &id).await?;
    store(&*tx, &state, &By::Client(client.name), user.id, user.role, &input).await?;
    tx.commit().await?;
    answer(&**db, &base, user.id, StatusCode::OK).await
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
    let user = one(&*tx, &id).await?;
    let mut resource = render_user(&user, &base);
    patch::apply(&mut resource, &body, &[TUTORCHAT_USER])?;
    let input = UserInput::from_json(&resource)?;
    store(&*tx, &state, &By::Client(client.name), user.id, user.role, &input).await?;
    tx.commit().await?;
    answer(&**db, &base, user.id, StatusCode::OK).await
}

async fn remove(
    ScimClient(client): ScimClient,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let by = By::Client(client.name);
    let mut db = state.db.get().await?;
    let tx = db.transaction().await?;
    let user = one(&*tx, &id).await?;
    people::set_active(&*tx, &by, user.id, false).await?;
    let forget = PersonChange::Change {
        user_id: user.id,
        external_id: Some(None),
        user_name: Some(None),
        name: None,
        email: None,
        role: None,
    };
    people::append(&*tx, &by, forget).await?;
    tx.execute("DELETE FROM scim_group_members WHERE user_id = $1", &[&user.id]).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

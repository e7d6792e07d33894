//! Which chats a person has, as one list in a stable order (by id) paged by offset, for a
//! dialect whose clients page that way (`/api/v1`'s conversations) or list them all
//! (`/api/unet-chat`'s), each with its header. The same chats the core's
//! rule gives them: a participant's own (their membership now), every chat for an admin (who
//! reads them all), a guardian's children's (the database's `guardian_reading()`).

use time::OffsetDateTime;

use super::roles::{Viewer, viewer};
use crate::auth::AuthUser;
use crate::wire::ChatHeader;
use crate::{AppState, Result};

/// A chat of the list: its id, when it opened, its last activity and its header (kind, title,
/// creator).
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub header: ChatHeader,
}

/// `limit` of `user`'s chats after the first `offset`, by id.
pub async fn chats_of(state: &AppState, user: &AuthUser, limit: i64, offset: i64) -> Result<Vec<Listed>> {
    let client = state.db.get().await?;
    let rows = match viewer(user) {
        Viewer::Participant(id) => {
            client
                .query(
                    "SELECT c.* FROM chat_participants me
                     JOIN chat_headers c ON c.id = me.chat_id
                     WHERE me.user_id = $1 ORDER BY c.id LIMIT $2 OFFSET $3",
                    &[&id, &limit, &offset],
                )
                .await?
        }
        Viewer::Admin => {
            client.query("SELECT c.* FROM chat_headers c ORDER BY c.id LIMIT $1 OFFSET $2", &[&limit, &offset]).await?
        }
        Viewer::Guardian(id) => {
            let groups = state.school.guardian_groups().own_messages();
            client
                .query(
                    "SELECT c.* FROM chat_headers c
                     WHERE c.id IN (SELECT r.chat_id FROM guardian_reading($1, $2) r)
                        OR c.id IN (SELECT p.chat_id FROM chat_participants p WHERE p.user_id = $1)
                     ORDER BY c.id LIMIT $3 OFFSET $4",
                    &[&id, &groups, &limit, &offset],
                )
                .await?
        }
    };
    rows.iter().map(listed).collect()
}

/// How many chats an admin's list without paging holds (`/api/unet-chat`'s): the school's
/// most recently active; the web app's admin list pages through them all.
pub const UNPAGED_ADMIN_LIST: i64 = 100;

/// `user`'s chats, the most recently active first, for a dialect whose list has no paging
/// (`/api/unet-chat`'s): a participant's and a guardian's all (as many as their memberships),
/// an admin's the [`UNPAGED_ADMIN_LIST`] most recently active of the school, picked by the
/// database (not the whole school loaded to keep a hundred).
pub async fn recent_chats_of(state: &AppState, user: &AuthUser) -> Result<Vec<Listed>> {
    let mut listed = match viewer(user) {
        Viewer::Admin => {
            let client = state.db.get().await?;
            let rows = client
                .query(
                    "SELECT c.* FROM chat_headers c ORDER BY c.updated_at DESC, c.id DESC LIMIT $1",
                    &[&UNPAGED_ADMIN_LIST],
                )
                .await?;
            rows.iter().map(listed).collect::<Result<Vec<_>>>()?
        }
        Viewer::Participant(_) | Viewer::Guardian(_) => chats_of(state, user, i64::MAX, 0).await?,
    };
    listed.sort_by_key(|c| std::cmp::Reverse((c.updated_at, c.id)));
    Ok(listed)
}

fn listed(r: &tokio_postgres::Row) -> Result<Listed> {
    Ok(Listed {
        id: r.try_get("id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        header: ChatHeader::from_row(r)?,
    })
}

/// What is `owner`'s alone (a seller's inbox in the marketplace dialect): theirs, and every
/// admin's to read. Anyone else gets 403 with `refusal`.
pub fn own_or_admin(user: &AuthUser, owner: i64, refusal: &str) -> Result<()> {
    match viewer(user) {
        Viewer::Admin => Ok(()),
        _ if user.id == owner => Ok(()),
        _ => Err(crate::AppError::Forbidden(refusal.to_owned())),
    }
}

/// A chat's opening and the members a viewer sees in it ([`super::roster`]: an announcement's
/// listener sees its owner and themself, everyone else every member).
#[derive(Debug, Clone)]
pub struct Members {
    pub created_at: OffsetDateTime,
    pub ids: Vec<i64>,
}

/// The members `user` sees of each of `chats` (chats they may list: the caller's to check),
/// by chat id.
pub async fn members_of(
    state: &AppState,
    user: &AuthUser,
    chats: &[i64],
) -> Result<std::collections::HashMap<i64, Members>> {
    let roster = super::roster(user);
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT c.id, c.created_at,
                    ARRAY(SELECT p.user_id FROM chat_participants p
                          WHERE p.chat_id = c.id
                            AND (NOT c.announcement OR $3 OR c.created_by = $2 OR p.user_id IN ($2, c.created_by))
                          ORDER BY p.user_id) AS members
             FROM chats c WHERE c.id = ANY($1)",
            &[&chats, &roster.viewer, &roster.everyone],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, Members { created_at: r.try_get("created_at")?, ids: r.try_get("members")? })))
        .collect()
}

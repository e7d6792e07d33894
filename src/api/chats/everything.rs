//! Every chat a person reads as one list, inbox and archive alike, the most recently active
//! first: for a surface whose contract has neither an archive nor paging (the messenger
//! dialect's conversations). A participant's and a guardian's are the core's chat list, its
//! rules applied (membership windows, guardians' links and the record of their reads); an
//! admin's are the school's [`super::MAX_PAGE`] most recently active, from the core's admin
//! list, which quotes no message (so records no read).

use time::OffsetDateTime;

use super::ListQuery;
use crate::access::{Viewer, viewer};
use crate::api::Snapshot;
use crate::auth::AuthUser;
use crate::wire::ChatHeader;
use crate::{AppState, Result};

/// A chat of the list.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: i64,
    pub header: ChatHeader,
    /// Its last message the reader sees, if any.
    pub last_message: Option<Last>,
    /// The reader's unread messages in it (0 for an admin, who is in no chat).
    pub unread_count: i64,
}

/// A chat's last message as a list shows it.
#[derive(Debug, Clone)]
pub struct Last {
    /// None where the list does not say (an admin's).
    pub id: Option<i64>,
    /// None where the reader may not read it here: an admin's list, a removed message.
    pub content: Option<String>,
    pub at: OffsetDateTime,
}

/// `user`'s chats, at most `at_most`, the most recently active first.
pub async fn everything_of(state: &AppState, user: &AuthUser, at_most: usize) -> Result<Vec<Summary>> {
    let query = |archived, limit| ListQuery { limit, cursor: None, q: None, kind: None, archived: Some(archived) };
    let mut listed = Vec::new();
    match viewer(user) {
        Viewer::Admin => {
            let limit = i64::try_from(at_most).unwrap_or(i64::MAX).clamp(1, super::MAX_PAGE);
            let Snapshot(_, all) = super::every_chat(state, query(false, Some(limit)), 0).await?;
            listed.extend(all.chats.into_iter().map(|c| Summary {
                id: c.id,
                header: c.header,
                last_message: c.last_message_at.map(|at| Last { id: None, content: None, at }),
                unread_count: 0,
            }));
        }
        Viewer::Participant(_) | Viewer::Guardian(_) => {
            for archived in [false, true] {
                let Snapshot(_, page) = super::summaries(state, user, query(archived, None), 0).await?;
                listed.extend(page.chats.into_iter().map(|c| Summary {
                    id: c.id,
                    header: c.header,
                    last_message: c.last_message.map(|m| Last {
                        id: Some(m.id),
                        content: m.removed.is_none().then_some(m.content),
                        at: m.created_at,
                    }),
                    unread_count: c.unread_count,
                }));
            }
        }
    }
    listed.sort_by_key(|c| std::cmp::Reverse((c.header.updated_at, c.id)));
    listed.truncate(at_most);
    Ok(listed)
}

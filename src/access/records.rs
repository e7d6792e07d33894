//! Reads by someone who takes no part in a chat are recorded: an admin opening its history,
//! exporting it, finding it in a search (`access_records`, through `access_record`). A
//! participant's reads of their own chats are not: they are the chat. What a school's
//! safeguarding policy asks is the opposite direction: which adults read a child's chat, when and
//! how, which the audit timeline, `GET /api/admin/access-records` and the child's own
//! `GET /api/me/readers` show.

use deadpool_postgres::Pool;

use super::{Viewer, viewer};
use crate::Result;
use crate::auth::AuthUser;

/// Through which endpoint a chat was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    History,
    Export,
    Search,
}

impl Via {
    fn name(self) -> &'static str {
        match self {
            Self::History => "history",
            Self::Export => "export",
            Self::Search => "search",
        }
    }
}

/// Records `reader`'s read of `chats` through `via` when they take no part in them (an admin),
/// before the read is answered: a read that cannot be recorded is not answered.
pub async fn record_read(db: &Pool, reader: &AuthUser, chats: &[i64], via: Via) -> Result<()> {
    if viewer(reader) != Viewer::Admin || chats.is_empty() {
        return Ok(());
    }
    let client = db.get().await?;
    client.execute("SELECT access_record($1, $2, $3)", &[&reader.id, &chats, &via.name()]).await?;
    Ok(())
}

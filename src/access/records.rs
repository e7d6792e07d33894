//! Reads by someone who takes no part in a chat are recorded: an admin or a guardian opening its
//! history, exporting it, finding it in a search, downloading one of its files, a guardian
//! opening the event stream that carries it or a chat list that shows its last message
//! (`access_records`, through `access_record`). A
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
    Stream,
    /// A file of the chat, downloaded (`GET /api/attachments/{id}`).
    Attachment,
    /// A guardian's chat list, showing the chat's last message (`GET /api/chats`).
    ChatList,
}

impl Via {
    fn name(self) -> &'static str {
        match self {
            Self::History => "history",
            Self::Export => "export",
            Self::Search => "search",
            Self::Stream => "stream",
            Self::Attachment => "attachment",
            Self::ChatList => "chat_list",
        }
    }
}

/// Records `reader`'s read of `chats` through `via` when they take no part in them (an admin,
/// a guardian), before the read is answered: a read that cannot be recorded is not answered.
pub async fn record_read(db: &Pool, reader: &AuthUser, chats: &[i64], via: Via) -> Result<()> {
    if matches!(viewer(reader), Viewer::Participant(_)) || chats.is_empty() {
        return Ok(());
    }
    let client = db.get().await?;
    client.execute("SELECT access_record($1, $2, $3)", &[&reader.id, &chats, &via.name()]).await?;
    Ok(())
}

/// A guardian's event stream carries their children's direct chats (and, with `groups`,
/// `GUARDIAN_GROUPS=own_messages`, their groups): recorded as it opens, one record a chat they
/// read now (a chat opened while the stream is open is recorded by the next
/// stream, history or export). An admin's stream carries every chat: each chat is recorded as
/// its first frame goes out on it ([`keep_recording_streams`]).
pub async fn record_stream(db: &Pool, reader: &AuthUser, groups: bool) -> Result<()> {
    let Viewer::Guardian(guardian) = viewer(reader) else { return Ok(()) };
    let client = db.get().await?;
    client
        .execute(
            "SELECT access_record($1, ARRAY(SELECT DISTINCT chat_id FROM guardian_reading($1, $2)), 'stream')",
            &[&guardian, &groups],
        )
        .await?;
    Ok(())
}

/// The job that writes admins' reads by stream (`crate::realtime::hub::Read`).
pub const STREAM_READS_JOB: &str = "stream-reads";

/// Writes the reads the hub notes, a batch at a time (one `access_record` per reader), until
/// shutdown; a batch the database refuses is kept and tried again a second later, so a
/// failover delays the records, never a delivery. Reads still waiting when the process ends
/// are lost with it.
pub async fn keep_recording_streams(
    hub: std::sync::Arc<crate::realtime::Hub>,
    db: Pool,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let (sender, mut reads) = tokio::sync::mpsc::unbounded_channel();
    hub.record_reads_to(sender);
    let mut pending: Vec<crate::realtime::hub::Read> = Vec::new();
    loop {
        if pending.is_empty() {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                read = reads.recv() => match read {
                    Some(read) => pending.push(read),
                    None => return,
                },
            }
        }
        while pending.len() < 1000
            && let Ok(read) = reads.try_recv()
        {
            pending.push(read);
        }
        match write_stream_reads(&db, &pending).await {
            Ok(()) => pending.clear(),
            Err(e) => {
                tracing::warn!(error = %e, waiting = pending.len(), "recording stream reads failed; will retry");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

async fn write_stream_reads(db: &Pool, reads: &[crate::realtime::hub::Read]) -> Result<()> {
    let mut by_reader: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for read in reads {
        by_reader.entry(read.reader).or_default().push(read.chat);
    }
    let client = db.get().await?;
    for (reader, chats) in by_reader {
        client.execute("SELECT access_record($1, $2, 'stream')", &[&reader, &chats]).await?;
    }
    Ok(())
}

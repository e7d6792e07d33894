//! An admin's event stream reads every chat it carries: the first frame of each chat on each
//! admin stream (live, or replayed on resume) is a read to record (`crate::access::records`).
//! The hub only notes it on a channel; a job of its own writes the records, so delivery never
//! waits for the database (a first version that wrote the record before the frame held
//! delivery up while the database failed over).

use std::collections::{HashMap, HashSet};

use tokio::sync::mpsc;

use super::Hub;
use super::connections::Connection;

/// A read to record: `reader` (an admin) was sent chat `chat` on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub reader: i64,
    pub chat: i64,
}

impl Hub {
    /// From now on, admins' reads by stream are sent to `reads` (the recording job, started
    /// again after a panic, takes them over).
    pub fn record_reads_to(&self, reads: mpsc::UnboundedSender<Read>) {
        *self.reads.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reads);
    }

    fn send_read(&self, read: Read) {
        if let Some(reads) = self.reads.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref() {
            let _ = reads.send(read);
        }
    }

    /// Under the hub's lock, as a frame of `chat` goes to every admin connection: the
    /// connections that had none of it before read it now.
    pub(super) fn note_admin_frames(&self, seen: &mut HashMap<u64, HashSet<i64>>, admins: &[Connection], chat: i64) {
        for connection in admins.iter().filter(|c| super::connections::follows(c, chat)) {
            if seen.entry(connection.id).or_default().insert(chat) {
                self.send_read(Read { reader: connection.user, chat });
            }
        }
    }

    /// Admin connection `id` of `reader` replayed `chats`.
    pub(super) fn note_reads(&self, id: u64, reader: i64, chats: impl IntoIterator<Item = i64>) {
        let mut state = self.state();
        let seen = state.admin_reads.entry(id).or_default();
        let new: Vec<i64> = chats.into_iter().filter(|chat| seen.insert(*chat)).collect();
        drop(state);
        for chat in new {
            self.send_read(Read { reader, chat });
        }
    }
}

//! The hub's per-connection registry: subscribing a stream (within the per-user limit),
//! unregistering it when it is dropped, counting each user's open streams (their first opened
//! and last closed are reported for presence), queueing frames with the slow-consumer cut-off,
//! and ending the streams of users whose role changed. Its own file because a connection's
//! lifecycle is a concern apart from what the hub knows of chats and how it routes events.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::channel::mpsc as queue;
use tokio::sync::mpsc;

use super::{Frame, Hub, State, StreamChange};
use crate::auth::Role;

pub(super) struct Connection {
    pub(super) id: u64,
    /// Whose it is (admins' too, so that the per-user limit counts them), and the role it was
    /// opened with: [`Hub::close_changed`] ends it when that is no longer the user's.
    pub(super) user: i64,
    role: Role,
    /// The session it was opened with (one this server started): signing it out ends it.
    session: Option<Arc<str>>,
    /// The one chat it follows (a dialect's socket on one conversation): it gets that chat's
    /// frames only, and an admin's is a read of that chat only. None: every chat it may see.
    only: Option<i64>,
    tx: queue::Sender<Arc<Frame>>,
}

/// An open connection's end of the hub. Dropping it unregisters the connection.
pub struct Subscription {
    pub head: i64,
    /// futures' bounded queue rather than tokio's: tokio's allocates a block of 32 slots when
    /// it is made, futures' a node per frame queued, so an idle stream holds no slots (~580
    /// bytes less each, heap profile in docs/benchmarks.md).
    pub frames: queue::Receiver<Arc<Frame>>,
    hub: Arc<Hub>,
    user: i64,
    admin: bool,
    id: u64,
    /// A guest's inquiry link, whose streams are counted together.
    link: Option<i64>,
}

impl Subscription {
    /// Notes that an admin's stream replayed `chats`: each is recorded as read once per stream
    /// (as the live frames are), off the delivery path.
    pub fn replayed(&self, chats: impl IntoIterator<Item = i64>) {
        if self.admin {
            self.hub.note_reads(self.id, self.user, chats);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unregister(self.user, self.admin, self.id, self.link);
    }
}

/// How many streams one may open here: a user `per_user`; a guest also counts against their
/// inquiry link's `per_link`, shared by all its guests (a link hands out a new guest to anyone).
#[derive(Debug, Clone, Copy)]
pub struct StreamAllowance {
    pub per_user: usize,
    pub link: Option<(i64, usize)>,
}

/// Who opens a stream: the person, the role they open it with, and their session's id.
pub struct Opener<'a> {
    pub user: i64,
    pub role: Role,
    pub session: Option<&'a str>,
    /// The one chat the connection follows, if it follows one (see [`Connection`]'s `only`).
    pub chat: Option<i64>,
}

impl Hub {
    /// From now on, a user's first stream opened here and their last one closed are sent to
    /// `changes` (instead of wherever they went: the presence task, started again after a
    /// panic, takes them over).
    pub fn report_changes(&self, changes: mpsc::UnboundedSender<StreamChange>) {
        *self.changes.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(changes);
    }

    fn report(&self, change: StreamChange) {
        if let Some(changes) = self.changes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref() {
            let _ = changes.send(change);
        }
    }

    /// Registers a connection of `user` with `role` (every chat for an admin). Frames for every
    /// event after the returned `head` will arrive on it, in log order. `None` when the user
    /// (or a guest's link) already has its allowance of connections here (checked under the
    /// same lock that registers, so concurrent opens cannot overshoot).
    pub fn subscribe(self: &Arc<Self>, opener: Opener<'_>, allowance: StreamAllowance) -> Option<Subscription> {
        let Opener { user, role, session, chat: only } = opener;
        let admin = role == Role::Admin;
        let mut state = self.state();
        let open = if admin {
            state.admins.iter().filter(|c| c.user == user).count()
        } else {
            state.users.get(&user).map_or(0, Vec::len)
        };
        if open >= allowance.per_user {
            return None;
        }
        if let Some((link, per_link)) = allowance.link {
            let open = state.link_streams.entry(link).or_default();
            if *open >= per_link {
                return None;
            }
            *open += 1;
        }
        // futures' queue holds `buffer` frames and one more per sender: `queue` in all.
        let (tx, frames) = queue::channel(self.queue - 1);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Connection { id, user, role, session: session.map(Arc::from), only, tx };
        if admin {
            state.admins.push(connection);
        } else {
            // Most users have one stream here: room for one, not the four a first push reserves.
            state.users.entry(user).or_insert_with(|| Vec::with_capacity(1)).push(connection);
        }
        metrics::gauge!(crate::metrics::SSE_CONNECTIONS).increment(1.0);
        let open = state.open.entry(user).or_default();
        *open += 1;
        if *open == 1 {
            self.report(StreamChange::Opened(user));
        }
        let link = allowance.link.map(|(link, _)| link);
        Some(Subscription { head: state.head, frames, hub: Arc::clone(self), user, admin, id, link })
    }

    fn unregister(&self, user: i64, admin: bool, id: u64, link: Option<i64>) {
        metrics::gauge!(crate::metrics::SSE_CONNECTIONS).decrement(1.0);
        let mut state = self.state();
        if let Some(link) = link
            && let Some(open) = state.link_streams.get_mut(&link)
        {
            *open -= 1;
            if *open == 0 {
                state.link_streams.remove(&link);
            }
        }
        if let Some(open) = state.open.get_mut(&user) {
            *open -= 1;
            if *open == 0 {
                state.open.remove(&user);
                self.report(StreamChange::Closed(user, std::time::Instant::now()));
            }
        }
        match admin {
            true => {
                state.admins.retain(|c| c.id != id);
                state.admin_reads.remove(&id);
            }
            false => {
                if let Some(connections) = state.users.get_mut(&user) {
                    connections.retain(|c| c.id != id);
                    if connections.is_empty() {
                        state.users.remove(&user);
                    }
                }
            }
        }
    }

    /// How many streams `user` has open here.
    pub fn streams_of(&self, user: i64) -> usize {
        self.state().open.get(&user).copied().unwrap_or(0)
    }

    /// The users with at least one stream open here (admins too).
    pub fn present_users(&self) -> Vec<i64> {
        self.state().open.keys().copied().collect()
    }

    /// Ends every connection of a user of `checked` who is not in `roles` (deleted) or has
    /// another role there than the connection was opened with, and returns those users. Such a
    /// stream ends as a slow consumer's does, and its client reconnects and is authorized
    /// afresh. A user who opened their first stream after `checked` was taken was not read, so
    /// their streams stay (the next check reads them).
    pub fn close_changed(&self, checked: &[i64], roles: &HashMap<i64, Role>) -> Vec<i64> {
        let checked: std::collections::HashSet<i64> = checked.iter().copied().collect();
        let mut changed = Vec::new();
        let mut keep = |c: &Connection| {
            let unchanged = !checked.contains(&c.user) || roles.get(&c.user) == Some(&c.role);
            if !unchanged {
                changed.push(c.user);
            }
            unchanged
        };
        let mut state = self.state();
        let State { users, admins, .. } = &mut *state;
        admins.retain(&mut keep);
        users.retain(|_, connections| {
            connections.retain(&mut keep);
            !connections.is_empty()
        });
        changed.sort_unstable();
        changed.dedup();
        changed
    }

    /// Ends every connection opened with session `sid` (signed out): its client reconnects and
    /// is refused.
    pub fn end_session(&self, sid: &str) {
        let keep = |c: &Connection| c.session.as_deref() != Some(sid);
        let mut state = self.state();
        let State { users, admins, .. } = &mut *state;
        admins.retain(keep);
        users.retain(|_, connections| {
            connections.retain(keep);
            !connections.is_empty()
        });
    }

    /// Open connections on this replica (users and admins).
    pub fn connections(&self) -> usize {
        let state = self.state();
        state.users.values().map(Vec::len).sum::<usize>() + state.admins.len()
    }
}

/// Whether these are a guest's connections (a user's connections share their role).
pub(super) fn of_guest(connections: &[Connection]) -> bool {
    connections.first().is_some_and(|c| c.role == Role::Guest)
}

/// Whether these connections' user is shown other people's presence (a user's connections
/// share their role): the one rule's answer (`wire::sees_presence`).
pub(super) fn see_presence(connections: &[Connection]) -> bool {
    connections.first().is_some_and(|c| crate::wire::sees_presence(c.role))
}

/// Queues `frame`, about `chat` (None: about no chat, or a person), on each of `connections`
/// that follows it (a connection that follows one chat gets that chat's frames only). A
/// connection whose queue is full is dropped, which ends its stream once it has drained what
/// it has.
pub(super) fn send_all(connections: &mut Vec<Connection>, frame: &Arc<Frame>, chat: Option<i64>) {
    connections.retain_mut(|c| match c.only.is_some_and(|only| Some(only) != chat) {
        true => true,
        false => c.try_send(frame),
    });
}

/// Whether `connection` follows `chat`'s frames.
pub(super) fn follows(connection: &Connection, chat: i64) -> bool {
    connection.only.is_none_or(|only| only == chat)
}

impl Connection {
    /// Queues `frame`; false when the connection is to go (its client takes nothing, or left).
    fn try_send(&mut self, frame: &Arc<Frame>) -> bool {
        match self.tx.try_send(Arc::clone(frame)) {
            Ok(()) => {
                metrics::counter!(crate::metrics::EVENTS_DELIVERED).increment(1);
                true
            }
            Err(e) if e.is_full() => {
                tracing::info!(connection = self.id, "slow consumer: queue full, disconnecting");
                metrics::counter!(crate::metrics::SLOW_CONSUMERS).increment(1);
                false
            }
            Err(_) => false, // its stream has ended
        }
    }
}

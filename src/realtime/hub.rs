//! Per-replica routing of log events to open SSE connections.
//!
//! The hub knows which users take part in which chat (kept current from `chat_created` events,
//! never by a query per event) and which connections each user has open. Every event is
//! encoded once into a shared frame; routing it is a hash lookup by chat. Each connection has
//! a bounded queue: a consumer that lets it fill up is cut off (it resumes from its last id),
//! so one slow client can neither hold memory without bound nor stall the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::mpsc;

use crate::auth::Role;

/// One encoded SSE event and the log position it carries.
#[derive(Debug, Clone)]
pub struct Frame {
    pub position: i64,
    pub bytes: Bytes,
}

/// What a log event becomes for the hub.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub position: i64,
    pub chat_id: i64,
    /// Users this event makes members of the chat.
    pub joined: Vec<i64>,
    pub frames: Frames,
}

#[derive(Debug, Clone)]
pub enum Frames {
    /// The same frame for participants and admins.
    Shared(Bytes),
    /// A frame per participant (each sees the chat from its side) and one for admins.
    PerUser { users: Vec<(i64, Bytes)>, admins: Bytes },
}

impl Frames {
    pub fn for_user(&self, user: i64) -> Option<&Bytes> {
        match self {
            Frames::Shared(bytes) => Some(bytes),
            Frames::PerUser { users, .. } => users.iter().find(|(u, _)| *u == user).map(|(_, b)| b),
        }
    }

    pub fn for_admins(&self) -> &Bytes {
        match self {
            Frames::Shared(bytes) | Frames::PerUser { admins: bytes, .. } => bytes,
        }
    }
}

struct Connection {
    id: u64,
    /// Whose it is (admins' too, so that the per-user limit counts them), and the role it was
    /// opened with: [`Hub::close_changed`] ends it when that is no longer the user's.
    user: i64,
    role: Role,
    tx: mpsc::Sender<Frame>,
}

#[derive(Default)]
struct State {
    /// The last position dispatched; connections registered now get everything after it.
    head: i64,
    members: HashMap<i64, Vec<i64>>,
    users: HashMap<i64, Vec<Connection>>,
    admins: Vec<Connection>,
}

pub struct Hub {
    state: Mutex<State>,
    queue: usize,
    next_id: AtomicU64,
    listening: AtomicBool,
    /// Test-only fault injection: the listener panics when notified (see
    /// [`Hub::crash_listener`]).
    crash: tokio::sync::Notify,
}

/// An open connection's end of the hub. Dropping it unregisters the connection.
pub struct Subscription {
    pub head: i64,
    pub frames: mpsc::Receiver<Frame>,
    hub: Arc<Hub>,
    user: Option<i64>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unregister(self.user, self.id);
    }
}

impl Hub {
    /// `queue`: frames a connection may have waiting before it is cut off.
    pub fn new(queue: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            queue: queue.max(1),
            next_id: AtomicU64::new(1),
            listening: AtomicBool::new(false),
            crash: tokio::sync::Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than stopping delivery would, so keep going with the data.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starting point: the log head and every chat's members, read in one snapshot.
    pub fn reset(&self, head: i64, members: impl IntoIterator<Item = (i64, i64)>) {
        let mut state = self.state();
        state.head = head;
        state.members.clear();
        for (chat, user) in members {
            state.members.entry(chat).or_default().push(user);
        }
    }

    pub fn head(&self) -> i64 {
        self.state().head
    }

    /// Registers a connection of `user` with `role` (every chat for an admin). Frames for every
    /// event after the returned `head` will arrive on it, in log order. `None` when the user
    /// already has `per_user` connections here (checked under the same lock that registers, so
    /// concurrent opens cannot overshoot).
    pub fn subscribe(self: &Arc<Self>, user: i64, role: Role, per_user: usize) -> Option<Subscription> {
        let admin = role == Role::Admin;
        let mut state = self.state();
        let open = if admin {
            state.admins.iter().filter(|c| c.user == user).count()
        } else {
            state.users.get(&user).map_or(0, Vec::len)
        };
        if open >= per_user {
            return None;
        }
        let (tx, frames) = mpsc::channel(self.queue);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Connection { id, user, role, tx };
        if admin {
            state.admins.push(connection);
        } else {
            state.users.entry(user).or_default().push(connection);
        }
        metrics::gauge!(crate::metrics::SSE_CONNECTIONS).increment(1.0);
        Some(Subscription { head: state.head, frames, hub: Arc::clone(self), user: (!admin).then_some(user), id })
    }

    fn unregister(&self, user: Option<i64>, id: u64) {
        metrics::gauge!(crate::metrics::SSE_CONNECTIONS).decrement(1.0);
        let mut state = self.state();
        match user {
            None => state.admins.retain(|c| c.id != id),
            Some(user) => {
                if let Some(connections) = state.users.get_mut(&user) {
                    connections.retain(|c| c.id != id);
                    if connections.is_empty() {
                        state.users.remove(&user);
                    }
                }
            }
        }
    }

    /// Routes events, in log order, to the connections entitled to them. Events at or before
    /// the head were dispatched already and are skipped, so catching up twice is harmless.
    pub fn dispatch(&self, events: Vec<Dispatch>) {
        let mut state = self.state();
        for event in events {
            if event.position <= state.head {
                continue;
            }
            let State { members, users, admins, .. } = &mut *state;
            let chat_members = members.entry(event.chat_id).or_default();
            for user in event.joined {
                if !chat_members.contains(&user) {
                    chat_members.push(user);
                }
            }
            for user in chat_members.iter() {
                let (Some(connections), Some(bytes)) = (users.get_mut(user), event.frames.for_user(*user)) else {
                    continue;
                };
                send_all(connections, event.position, bytes);
            }
            send_all(admins, event.position, event.frames.for_admins());
            state.head = event.position;
        }
    }

    /// Whether `user` takes part in `chat`, if this replica knows the chat (`None`: unknown
    /// here — it may not exist, or the listener has not read its `chat_created` yet).
    /// Membership only grows, and a chat's first event names all its members, so a known
    /// chat's answer is final.
    pub fn is_member(&self, chat: i64, user: i64) -> Option<bool> {
        self.state().members.get(&chat).map(|members| members.contains(&user))
    }

    /// The users with a connection open here.
    pub fn connected_users(&self) -> Vec<i64> {
        let state = self.state();
        let mut users: Vec<i64> = state.users.keys().copied().chain(state.admins.iter().map(|c| c.user)).collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Ends every connection whose user is not in `roles` (deleted) or has another role there
    /// than the connection was opened with, and returns those users. Such a stream ends as a
    /// slow consumer's does, and its client reconnects and is authorized afresh.
    pub fn close_changed(&self, roles: &HashMap<i64, Role>) -> Vec<i64> {
        let mut changed = Vec::new();
        let mut keep = |c: &Connection| {
            let unchanged = roles.get(&c.user) == Some(&c.role);
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

    /// Open connections on this replica (users and admins).
    pub fn connections(&self) -> usize {
        let state = self.state();
        state.users.values().map(Vec::len).sum::<usize>() + state.admins.len()
    }

    pub fn set_listening(&self, listening: bool) {
        metrics::gauge!(crate::metrics::LISTENER_CONNECTED).set(if listening { 1.0 } else { 0.0 });
        self.listening.store(listening, Ordering::Relaxed);
    }

    /// Whether the listener is connected (readiness).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Makes the listener task panic, as a bug in it would: a test hook for its supervision
    /// (the panic is logged, readiness turns false, the listener restarts). Never called by
    /// the server itself.
    pub fn crash_listener(&self) {
        self.crash.notify_one();
    }

    /// Resolves when a test asks the listener to crash.
    pub(crate) async fn crash_requested(&self) {
        self.crash.notified().await;
    }
}

/// Queues a frame on each connection; a connection whose queue is full is dropped, which
/// ends its stream once it has drained what it has.
fn send_all(connections: &mut Vec<Connection>, position: i64, bytes: &Bytes) {
    connections.retain(|c| match c.tx.try_send(Frame { position, bytes: bytes.clone() }) {
        Ok(()) => {
            metrics::counter!(crate::metrics::EVENTS_DELIVERED).increment(1);
            true
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::info!(connection = c.id, "slow consumer: queue full, disconnecting");
            metrics::counter!(crate::metrics::SLOW_CONSUMERS).increment(1);
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    });
}

//! Per-replica routing of log events to open SSE connections.
//!
//! The hub knows which users take part in which chat (kept current from the log's membership
//! events, applied in log order like every other event, never by a query per event) and which
//! connections each user has open. Every event is
//! encoded once into a shared frame; routing it is a hash lookup by chat. Each connection has
//! a bounded queue: a consumer that lets it fill up is cut off (it resumes from its last id),
//! so one slow client can neither hold memory without bound nor stall the others.
//!
//! This file holds the hub's state, what it knows of chats and how it routes events;
//! `connections.rs` the registry of open connections; `dispatch.rs` the data it routes;
//! `signals.rs` the ephemeral signals it passes on.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::mpsc;

mod connections;
mod dispatch;
mod membership;
mod reads;
mod signals;

use connections::{Connection, send_all};
pub use connections::{Opener, StreamAllowance, Subscription};
pub use dispatch::{Dispatch, Frame, Frames, GuardianLink, Sent, StreamChange, ToPerson};
pub use membership::GroupMember;
pub use reads::Read;

/// A member of a chat, since the position of the event that made them one.
#[derive(Debug, Clone, Copy)]
struct Member {
    user: i64,
    since: i64,
}

#[derive(Default)]
struct State {
    /// The last position dispatched; connections registered now get everything after it.
    head: i64,
    /// Chat → its members, and user → their chats (for presence: who shares a chat with whom).
    members: HashMap<i64, Vec<Member>>,
    chats_of: HashMap<i64, Vec<i64>>,
    /// Chats whose membership or state changes (groups; inquiries, which close): [`Hub::is_member`]
    /// leaves them to the database (the replica's start reads every chat but direct ones here).
    groups: HashSet<i64>,
    /// Of those, the groups proper (kind `group`: a class, a staff room, an announcement), which
    /// never close and have no teacher to leave: [`Hub::group_member`] answers for a message.
    kind_group: HashSet<i64>,
    /// Direct chats closed (on a guardian's request), whose teacher left the school, or handed
    /// to another teacher since this replica started: [`Hub::is_member`] leaves them to the
    /// database too, which says they are closed, read-only or whose they are now; their
    /// guardians still get their events.
    closed: HashSet<i64>,
    /// Announcement → its owner: its other members are listeners, who get nothing that names
    /// another listener, and share no presence through it.
    announcements: HashMap<i64, i64>,
    /// Student → the guardians linked to them now, each since their link's position: they get
    /// the student's direct chats' events as the student does (never a group's).
    guardians: HashMap<i64, Vec<Member>>,
    users: HashMap<i64, Vec<Connection>>,
    admins: Vec<Connection>,
    /// Each admin connection's chats sent so far (by connection id): a chat's first frame on a
    /// stream is recorded as a read (`reads.rs`).
    admin_reads: HashMap<u64, HashSet<i64>>,
    /// Streams open per user (admins too), counted from subscription to drop: a stream cut off
    /// as a slow consumer counts until its client is gone.
    open: HashMap<i64, usize>,
    /// Streams open per inquiry link, by its guests.
    link_streams: HashMap<i64, usize>,
}

impl State {
    fn join(&mut self, chat: i64, user: i64, since: i64) {
        let members = self.members.entry(chat).or_default();
        if !members.iter().any(|m| m.user == user) {
            members.push(Member { user, since });
            self.chats_of.entry(user).or_default().push(chat);
        }
    }

    fn leave(&mut self, chat: i64, user: i64) {
        if let Some(members) = self.members.get_mut(&chat) {
            members.retain(|m| m.user != user);
        }
        if let Some(chats) = self.chats_of.get_mut(&user) {
            chats.retain(|c| *c != chat);
            if chats.is_empty() {
                self.chats_of.remove(&user);
            }
        }
    }
}

pub struct Hub {
    state: Mutex<State>,
    queue: usize,
    next_id: AtomicU64,
    listening: AtomicBool,
    /// Where a user's first opened and last closed stream are reported (presence).
    changes: std::sync::Mutex<Option<mpsc::UnboundedSender<StreamChange>>>,
    /// Told of every person an event changed (suspended, erasure asked for): the replica's
    /// cache of who people are forgets them (see [`Hub::on_person_changed`]).
    person_changed: std::sync::OnceLock<Box<dyn Fn(i64) + Send + Sync>>,
    /// The sessions signed out (`crate::auth::revoked`): the listener keeps it, requests are
    /// checked against it, and a session's streams end as it is added.
    revoked: Arc<crate::auth::revoked::Revoked>,
    /// Where admins' reads by stream go to be recorded (`crate::access::records`).
    reads: std::sync::Mutex<Option<mpsc::UnboundedSender<Read>>>,
    /// The replica's copy of the school's settings, which the hub keeps as it dispatches their
    /// changes in the log's order; under its guardians' policy `own_messages` a group member's
    /// guardians get the events about the member's own messages.
    school: Arc<crate::school::Settings>,
}

impl Hub {
    /// `queue`: frames a connection may have waiting before it is cut off; `school`: the
    /// school's settings, which the hub keeps (see [`crate::school`]).
    pub fn new(queue: usize, school: Arc<crate::school::Settings>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            queue: queue.max(1),
            next_id: AtomicU64::new(1),
            listening: AtomicBool::new(false),
            changes: std::sync::Mutex::new(None),
            person_changed: std::sync::OnceLock::new(),
            revoked: Arc::default(),
            reads: std::sync::Mutex::new(None),
            school,
        }
    }

    /// The replica's copy of the school's settings, as the hub keeps it.
    pub fn school(&self) -> &Arc<crate::school::Settings> {
        &self.school
    }

    /// The sessions signed out, as this replica's listener knows them.
    pub fn revoked(&self) -> &Arc<crate::auth::revoked::Revoked> {
        &self.revoked
    }

    /// Calls `forget` with each person an event changes, as it is dispatched (the first call
    /// of this sets it; later ones are ignored).
    pub fn on_person_changed(&self, forget: impl Fn(i64) + Send + Sync + 'static) {
        let _ = self.person_changed.set(Box::new(forget));
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than stopping delivery would, so keep going with the data.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starting point: the log head, every chat's members (chat, user, the position they
    /// joined at), the groups and the guardians' open links (guardian, student, the position
    /// of the link), read in one snapshot.
    pub fn reset(&self, routing: crate::log::store::Routing) {
        let crate::log::store::Routing { head, members, groups, kind_group, guardians, closed, announcements } =
            routing;
        let mut state = self.state();
        state.head = head;
        state.closed = closed;
        state.members.clear();
        state.chats_of.clear();
        state.groups = groups;
        state.kind_group = kind_group;
        state.announcements = announcements;
        state.guardians.clear();
        for (chat, user, since) in members {
            state.join(chat, user, since);
        }
        for (guardian, student, since) in guardians {
            state.guardians.entry(student).or_default().push(Member { user: guardian, since });
        }
    }

    pub fn head(&self) -> i64 {
        self.state().head
    }

    /// Routes events, in log order, to the connections entitled to them. Events at or before
    /// the head were dispatched already and are skipped, so catching up twice is harmless.
    ///
    /// The lock is taken per event, not per batch: a catch-up batch can hold a thousand events,
    /// and requests on the same replica (membership checks, signals) wait for this lock on a
    /// worker thread that the event streams need too.
    pub fn dispatch(&self, events: Vec<Dispatch>) {
        for event in events {
            let mut state = self.state();
            if event.position <= state.head {
                continue;
            }
            if let Some(person) = &event.person
                && let Some(forget) = self.person_changed.get()
            {
                forget(person.user_id);
            }
            if let Some(change) = &event.settings {
                let before = self.school.guardian_groups();
                self.school.apply(change);
                if self.school.guardian_groups() != before {
                    // What each linked guardian reads changed: their streams end, and the ones
                    // they open again read (and are recorded) by the policy that holds now.
                    let State { users, guardians, .. } = &mut *state;
                    for guardian in guardians.values().flatten() {
                        if let Some(connections) = users.get_mut(&guardian.user) {
                            connections.clear();
                        }
                    }
                    users.retain(|_, connections| !connections.is_empty());
                }
            }
            if let Some(chat) = event.chat_id {
                if event.opens_checked {
                    state.groups.insert(chat);
                }
                if event.opens_group {
                    state.kind_group.insert(chat);
                }
                if let Some(owner) = event.announced_by {
                    state.announcements.insert(chat, owner);
                }
                if event.closes || event.reassigns {
                    state.closed.insert(chat);
                }
                for user in &event.joined {
                    state.join(chat, *user, event.position);
                }
            }
            if let Some(person) = event.person.as_ref().filter(|_| event.departs) {
                let chats = state.chats_of.get(&person.user_id).cloned().unwrap_or_default();
                state.closed.extend(chats);
            }
            if let Some(link) = event.guardian {
                let guardians = state.guardians.entry(link.student).or_default();
                guardians.retain(|g| g.user != link.guardian);
                if link.linked {
                    guardians.push(Member { user: link.guardian, since: event.position });
                }
            }
            let State { members, users, admins, groups, guardians, admin_reads, announcements, .. } = &mut *state;
            // In an announcement, what names a member reaches its owner and that member only.
            let named_for = |member: i64| match (event.chat_id.and_then(|chat| announcements.get(&chat)), event.names) {
                (Some(owner), Some(named)) => member == *owner || member == named,
                _ => true,
            };
            // The event's frame, made when the first connection here gets it (one per user
            // when each sees the event from their side).
            let at = |bytes: &Bytes| Arc::new(Frame { position: Some(event.position), bytes: bytes.clone() });
            let mut shared = None;
            let mut frame = |bytes: &Bytes| {
                let made = || at(bytes);
                match event.frames {
                    Frames::Shared(_) => Arc::clone(shared.get_or_insert_with(made)),
                    Frames::PerUser { .. } | Frames::Split { .. } | Frames::Own { .. } => made(),
                }
            };
            let mut unquoted = None;
            for member in event.chat_id.and_then(|chat| members.get(&chat)).into_iter().flatten() {
                if event.about.is_some_and(|about| member.since > about) || !named_for(member.user) {
                    continue;
                }
                let Some(connections) = users.get_mut(&member.user) else { continue };
                let made = match event.sent_by(member.user) {
                    // The sender's own streams: `message_sent` (`Sent`).
                    true => match event.frame_for(member.user, member.since) {
                        Some(bytes) => at(bytes),
                        None => continue,
                    },
                    false => match event.unquoted.as_ref().filter(|(quoted, _)| member.since > *quoted) {
                        Some((_, bytes)) => Arc::clone(unquoted.get_or_insert_with(|| at(bytes))),
                        None => match event.frames.for_user(member.user) {
                            Some(bytes) => frame(bytes),
                            None => continue,
                        },
                    },
                };
                send_all(connections, &made, event.chat_id);
                if event.ends_guests && connections::of_guest(connections) {
                    // Dropping their queues ends the streams once they have drained them.
                    connections.clear();
                }
            }
            // A direct chat's guardians: the student's frame, from their link on (a group's
            // events hold other children's words, and go to no guardian).
            let chat_guardians =
                event.chat_id.filter(|chat| !groups.contains(chat)).and_then(|chat| members.get(&chat));
            for (student, guardian) in chat_guardians
                .into_iter()
                .flatten()
                .flat_map(|m| guardians.get(&m.user).into_iter().flatten().map(move |g| (m.user, g)))
            {
                if event.about.is_some_and(|about| guardian.since > about) {
                    continue;
                }
                let (Some(connections), Some(bytes)) =
                    (users.get_mut(&guardian.user), event.frame_for_ward(student, guardian.since))
                else {
                    continue;
                };
                send_all(connections, &at(bytes), event.chat_id);
            }
            // A group's guardians, under GUARDIAN_GROUPS=own_messages: the events about their
            // child's own messages from where both the membership and the link began, as the
            // child sees them (a quote of anyone else's words unavailable); nothing else of it.
            let group_members = event
                .chat_id
                .filter(|chat| {
                    groups.contains(chat) && !event.messages.is_empty() && self.school.guardian_groups().own_messages()
                })
                .and_then(|chat| members.get(&chat));
            for (student, guardian, since) in group_members.into_iter().flatten().flat_map(|m| {
                guardians.get(&m.user).into_iter().flatten().map(move |g| (m.user, g.user, m.since.max(g.since)))
            }) {
                if !event.about_own_message(student, since) {
                    continue;
                }
                let (Some(connections), Some(bytes)) =
                    (users.get_mut(&guardian), event.frame_for_guardian(student, since))
                else {
                    continue;
                };
                send_all(connections, &at(bytes), event.chat_id);
            }
            if !admins.is_empty()
                && let Some(bytes) = event.frames.for_admins()
            {
                send_all(admins, &frame(bytes), event.chat_id);
                if let Some(chat) = event.chat_id {
                    self.note_admin_frames(admin_reads, admins, chat);
                }
            }
            if let Some(person) = &event.person
                && let Some(connections) = users.get_mut(&person.user_id)
            {
                if let Some(bytes) = &person.frame {
                    send_all(connections, &at(bytes), event.chat_id);
                }
                if person.ends_streams {
                    connections.clear(); // their streams end once they have drained their queues
                }
            }
            if event.ends_guests || event.person.as_ref().is_some_and(|p| p.ends_streams) {
                users.retain(|_, connections| !connections.is_empty());
            }
            if let Some(chat) = event.chat_id {
                for user in &event.left {
                    state.leave(chat, *user);
                }
            }
            state.head = event.position;
        }
    }

    pub fn set_listening(&self, listening: bool) {
        metrics::gauge!(crate::metrics::LISTENER_CONNECTED).set(if listening { 1.0 } else { 0.0 });
        self.listening.store(listening, Ordering::Relaxed);
    }

    /// Whether the listener is connected (readiness).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }
}

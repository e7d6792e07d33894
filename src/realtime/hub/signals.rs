//! Ephemeral signals (typing, presence): to the streams here of whom they concern, never
//! through the log.

use std::sync::Arc;

use axum::body::Bytes;

use super::connections::{self, send_all};
use super::{Frame, Hub, State};

impl Hub {
    /// Sends an ephemeral signal of `from` in `chat` to the chat's other members' streams here
    /// (not to `from`'s own, not to admins): typing. `encode` makes its bytes, called only if a
    /// connection here gets it (every replica hears every signal; most have nobody to tell).
    pub fn signal_chat(&self, chat: i64, from: i64, encode: impl Fn() -> Bytes) {
        let mut state = self.state();
        let State { members, users, .. } = &mut *state;
        let mut frame = None; // made when the first connection here gets it
        for member in members.get(&chat).into_iter().flatten().filter(|m| m.user != from) {
            if let Some(connections) = users.get_mut(&member.user) {
                send_all(connections, frame.get_or_insert_with(|| signal(encode())), Some(chat));
            }
        }
    }

    /// Sends an ephemeral signal about `about` to the streams here of everyone who shares a
    /// chat with them, and to admins: presence. `encode` as for [`Hub::signal_chat`].
    pub fn signal_contacts(&self, about: i64, encode: impl Fn() -> Bytes) {
        let mut state = self.state();
        let State { members, chats_of, users, admins, announcements, .. } = &mut *state;
        // An announcement makes nobody a contact (`crate::access::presence`).
        let mut contacts: Vec<i64> = chats_of
            .get(&about)
            .into_iter()
            .flatten()
            .filter(|c| !announcements.contains_key(c))
            .filter_map(|c| members.get(c))
            .flatten()
            .map(|m| m.user)
            .collect();
        contacts.sort_unstable();
        contacts.dedup();
        let mut frame = None; // made when the first connection here gets it
        for user in contacts.iter().filter(|u| **u != about) {
            // Only to those the access rule shows presence to (never guests nor guardians).
            if let Some(connections) = users.get_mut(user).filter(|c| connections::see_presence(c)) {
                send_all(connections, frame.get_or_insert_with(|| signal(encode())), None);
            }
        }
        if !admins.is_empty() {
            send_all(admins, frame.get_or_insert_with(|| signal(encode())), None);
        }
    }
}

/// An ephemeral signal's frame (no position, no `id:` line).
fn signal(bytes: Bytes) -> Arc<Frame> {
    Arc::new(Frame { position: None, bytes })
}

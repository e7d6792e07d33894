//! What the hub answers about membership from memory, so that the hottest requests need no
//! query: whether someone takes part in a direct chat (final: its members never change), and
//! whether someone may send a message to a group (checked again by the log as it appends).

use super::Hub;

/// A member of a group, as this replica has read its log so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMember {
    /// The position of the event that made them a member: they see the group's messages from
    /// there on.
    pub since: i64,
    /// The group is an announcement and they are not its owner: they read, never post.
    pub listener: bool,
}

impl Hub {
    /// Whether `user` takes part in `chat`, if the answer here is final (`None`: ask the
    /// database). A direct chat's first event names both its members and they never change,
    /// so a known direct chat's answer is final. A group's is not: this replica may not have
    /// read a removal that has already committed, and a removed member must be refused at
    /// once, so groups are always `None`, as are chats not known here yet.
    pub fn is_member(&self, chat: i64, user: i64) -> Option<bool> {
        let state = self.state();
        if state.groups.contains(&chat) || state.closed.contains(&chat) {
            return None;
        }
        state.members.get(&chat).map(|members| members.iter().any(|m| m.user == user))
    }

    /// `user`'s membership of group `chat` (kind `group`), if this replica has read one: for a
    /// message only, which the log's rule checks again under its lock as it appends it (a
    /// removal committed and not read here yet is refused there). `None`, for a chat of
    /// another kind or for someone not a member here, leaves the answer to the database: an
    /// addition not read here yet must not refuse the new member.
    pub fn group_member(&self, chat: i64, user: i64) -> Option<GroupMember> {
        let state = self.state();
        if !state.kind_group.contains(&chat) {
            return None;
        }
        let member = state.members.get(&chat)?.iter().find(|m| m.user == user)?;
        let listener = state.announcements.get(&chat).is_some_and(|owner| *owner != user);
        Some(GroupMember { since: member.since, listener })
    }
}

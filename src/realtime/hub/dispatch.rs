//! What the hub routes: a log event made ready for routing ([`Dispatch`], with its encoded
//! [`Frames`] and the membership changes it makes), the [`Frame`] a connection's queue carries,
//! and the [`StreamChange`]s the hub reports for presence. Plain data, apart from the routing.

use axum::body::Bytes;

/// One encoded SSE event and the log position it carries (`None`: an ephemeral signal, which
/// has no position and no `id:` line). Connections' queues carry it behind an `Arc`, made once
/// per event (per user where each sees the event from their side): a queue allocates its
/// first 32 slots when it is created, so every idle stream pays for a slot's size, 8 bytes
/// this way against 48 for the frame itself (1.3 kB per stream).
#[derive(Debug, Clone)]
pub struct Frame {
    pub position: Option<i64>,
    pub bytes: Bytes,
}

/// A user's first stream on this replica opened, or their last one closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamChange {
    Opened(i64),
    /// When, on this replica's monotonic clock (wall clocks of replicas may disagree).
    Closed(i64, std::time::Instant),
}

/// What a log event becomes for the hub.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub position: i64,
    /// None for an event about a person rather than a chat (see [`Dispatch::person`]).
    pub chat_id: Option<i64>,
    /// Users this event makes members of the chat (they receive it).
    pub joined: Vec<i64>,
    /// Users this event removes from the chat (they receive it, and nothing of the chat after).
    pub left: Vec<i64>,
    /// The event opens a chat the hub does not answer access for from memory (see
    /// [`super::Hub::is_member`]): a group, whose membership changes, or an inquiry, which closes.
    pub opens_checked: bool,
    /// The chat it opens is a group proper (kind `group`): see [`super::Hub::group_member`].
    pub opens_group: bool,
    /// The position of the message the event shows again (an edit's): only members who
    /// joined at or before it receive the event, as history shows nobody a message from
    /// before they joined.
    pub about: Option<i64>,
    pub frames: Frames,
    /// A reply's quoted message's position, and the frame for members who joined after it:
    /// the quote shown only as unavailable (history shows nobody a message from before they
    /// joined, nor does a quote).
    pub unquoted: Option<(i64, Bytes)>,
    /// The sender of the message a reply quotes: a group's guardian sees the quote only when it
    /// is their own child's (see [`Dispatch::frame_for_guardian`]).
    pub quoted_by: Option<i64>,
    /// The messages the event is about, each as (sender, position of its `message_created`):
    /// under `GUARDIAN_GROUPS=own_messages` a group's event reaches a member's guardians only
    /// when it is about one of that member's own messages (empty: about none).
    pub messages: Vec<(i64, i64)>,
    /// The event as it shows one author's messages only, for the authors among several (a
    /// purge of many members' messages): a guardian of one of them gets theirs, never the ids
    /// of another child's messages.
    pub by_author: Vec<(i64, Bytes)>,
    /// The event ends the chat's guests' sessions (an inquiry closed): their streams here end
    /// once they have this event, and their credential is refused from now on.
    pub ends_guests: bool,
    /// The event closes the chat (read-only from now on): [`super::Hub::is_member`] no longer
    /// answers for it from memory, so that access says it is closed.
    pub closes: bool,
    /// The event changes a direct chat's members (handed to a successor): [`super::Hub::is_member`]
    /// no longer answers for it from memory.
    pub reassigns: bool,
    /// The event's person left the school (deactivated): nor for any chat of theirs, whose
    /// access says now whether its teacher departed.
    pub departs: bool,
    /// The event is about this person (a suspension, an erasure): what their own streams get.
    pub person: Option<ToPerson>,
    /// The event links a guardian to a student, or ends the link.
    pub guardian: Option<GuardianLink>,
    /// A new message's frames for its sender's own streams (`message_sent`, not `new_message`).
    pub sent: Option<Sent>,
    /// The event opens an announcement of this owner: its other members are listeners, who see
    /// nobody but the owner and themselves (see [`Dispatch::names`]).
    pub announced_by: Option<i64>,
    /// The member the event names (who joined, left, read or reacted): in an announcement, its
    /// owner and that member get it, no other listener.
    pub names: Option<i64>,
    /// The event changes the school's settings: the replica's copy follows as the hub
    /// dispatches it.
    pub settings: Option<crate::school::SettingsChange>,
}

/// What the sender's own streams get of their new message: the frame everyone else gets
/// under another name, so that the tab that sent it (which shows it already) does not add it
/// twice, and the sender's other tabs do.
#[derive(Debug, Clone)]
pub struct Sent {
    pub sender: i64,
    /// The sender's frame (`None`: they get none, as for the frame it renames).
    pub frame: Option<Bytes>,
    /// The frame with the quote unavailable (see [`Dispatch::unquoted`]), renamed alike.
    pub unquoted: Option<Bytes>,
}

/// A guardian's link to a student, made (`linked`) or ended by an event.
#[derive(Debug, Clone, Copy)]
pub struct GuardianLink {
    pub guardian: i64,
    pub student: i64,
    pub linked: bool,
}

/// What an event about a person does to their own streams.
#[derive(Debug, Clone)]
pub struct ToPerson {
    pub user_id: i64,
    /// A frame their streams get (before they end, when they do).
    pub frame: Option<Bytes>,
    /// Their streams end (suspended, erasure asked for): the next request says why.
    pub ends_streams: bool,
}

impl Dispatch {
    pub fn new(position: i64, chat_id: i64, frames: Frames) -> Self {
        Self { chat_id: Some(chat_id), ..Self::about_person(position, frames, None) }
    }

    /// An event about a person, not a chat: admins get `frames`' admin frame, the person what
    /// `person` says.
    pub fn about_person(position: i64, frames: Frames, person: Option<ToPerson>) -> Self {
        Self {
            position,
            chat_id: None,
            joined: Vec::new(),
            left: Vec::new(),
            opens_checked: false,
            opens_group: false,
            about: None,
            frames,
            unquoted: None,
            quoted_by: None,
            messages: Vec::new(),
            by_author: Vec::new(),
            ends_guests: false,
            closes: false,
            reassigns: false,
            departs: false,
            person,
            guardian: None,
            sent: None,
            announced_by: None,
            names: None,
            settings: None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Frames {
    /// The same frame for participants and admins.
    Shared(Bytes),
    /// A frame per participant (each sees the chat from its side), one per participant for
    /// their guardians (the participant's side, without what guardians are not shown:
    /// presence), and one for admins.
    PerUser { users: Vec<(i64, Bytes)>, wards: Vec<(i64, Bytes)>, admins: Bytes },
    /// One frame for every participant (none: they get nothing) and another for admins: a
    /// hidden message as each side sees it, a report only moderators see.
    Split { members: Option<Bytes>, admins: Bytes },
    /// A person's own setting of a chat (muted, archived): their streams get it, nobody
    /// else's (no other member, no admin, no guardian of theirs).
    Own { user: i64, bytes: Bytes },
}

impl Dispatch {
    /// The frame `user`, a member since position `since`, gets (`None`: none): the sender's
    /// own of a new message ([`Sent`]), else the members'.
    pub fn frame_for(&self, user: i64, since: i64) -> Option<&Bytes> {
        match self.sent.as_ref().filter(|sent| sent.sender == user) {
            Some(sent) => self.sent_to(sent, since),
            None => self.shown_to(user, since),
        }
    }

    /// The sender's frame of their own new message, a member since `since`.
    fn sent_to<'a>(&'a self, sent: &'a Sent, since: i64) -> Option<&'a Bytes> {
        match (&self.unquoted, &sent.unquoted) {
            (Some((quoted, _)), Some(bytes)) if since > *quoted => Some(bytes),
            _ => sent.frame.as_ref(),
        }
    }

    /// Whether `user` is the sender of this event's new message.
    pub fn sent_by(&self, user: i64) -> bool {
        self.sent.as_ref().is_some_and(|sent| sent.sender == user)
    }

    /// The frame a member gets, whoever sent the message.
    fn shown_to(&self, user: i64, since: i64) -> Option<&Bytes> {
        match &self.unquoted {
            Some((quoted, bytes)) if since > *quoted => Some(bytes),
            _ => self.frames.for_user(user),
        }
    }

    /// The frame a guardian reading a direct chat for `student` (linked since `since`) gets: the
    /// student's, but never a setting of their own, and of a frame per participant the one for
    /// their guardians (a new chat without anyone's presence).
    pub fn frame_for_ward(&self, student: i64, since: i64) -> Option<&Bytes> {
        match self.frames {
            Frames::Own { .. } => None,
            Frames::PerUser { .. } => self.frames.for_guardians_of(student),
            // A guardian is not the sender: the frame everyone else gets.
            _ => self.shown_to(student, since),
        }
    }
}

impl Dispatch {
    /// The frame a guardian gets of their child `student`'s own message in a group, reading since
    /// position `since`: the child's frame, its quote unavailable unless it quotes the child's
    /// own message from their stretch (another child's words never reach a guardian, not even
    /// quoted); never a setting of the child's own.
    pub fn frame_for_guardian(&self, student: i64, since: i64) -> Option<&Bytes> {
        match self.frames {
            Frames::Own { .. } => return None,
            Frames::PerUser { .. } => return self.frames.for_guardians_of(student),
            _ => {}
        }
        if let Some((_, bytes)) = self.by_author.iter().find(|(author, _)| *author == student) {
            return Some(bytes);
        }
        match &self.unquoted {
            Some((quoted, bytes)) if since > *quoted || self.quoted_by != Some(student) => Some(bytes),
            _ => self.frames.for_user(student),
        }
    }

    /// Whether a guardian of `student`, reading the group since `since`, gets this event: it is
    /// about one of the student's own messages from then on.
    pub fn about_own_message(&self, student: i64, since: i64) -> bool {
        self.messages.iter().any(|(sender, at)| *sender == student && *at >= since)
    }
}

impl Frames {
    pub fn for_user(&self, user: i64) -> Option<&Bytes> {
        match self {
            Frames::Shared(bytes) => Some(bytes),
            Frames::PerUser { users, .. } => users.iter().find(|(u, _)| *u == user).map(|(_, b)| b),
            Frames::Split { members, .. } => members.as_ref(),
            Frames::Own { user: owner, bytes } => (*owner == user).then_some(bytes),
        }
    }

    /// What the guardians of participant `user` get of a frame per participant: the
    /// participant's side as guardians are shown it (`None` for any other frame).
    pub fn for_guardians_of(&self, user: i64) -> Option<&Bytes> {
        match self {
            Frames::PerUser { wards, .. } => wards.iter().find(|(u, _)| *u == user).map(|(_, b)| b),
            _ => None,
        }
    }

    /// What admins get (`None`: nothing).
    pub fn for_admins(&self) -> Option<&Bytes> {
        match self {
            Frames::Shared(bytes) | Frames::PerUser { admins: bytes, .. } | Frames::Split { admins: bytes, .. } => {
                Some(bytes)
            }
            Frames::Own { .. } => None,
        }
    }
}

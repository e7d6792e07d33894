//! Who may read a chat, and from where: the one membership rule every chat-scoped path follows
//! (REST history, sending, typing, reading markers, attachments, groups, search, export, and
//! the event stream's replay). The hub answers for the direct chats this replica knows (their
//! members never change), and for a group's members sending a message (the log checks it
//! again as it appends); the database for the rest.

use std::collections::HashMap;

use crate::auth::{AuthUser, Role};
use crate::error::Code;
use crate::realtime::Hub;
use crate::{AppError, AppState, Result};

/// What the caller may see of a chat.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// The first log position whose messages they may see: where their membership began (a
    /// group member sees nothing from before they joined; a direct chat's pair joined when it
    /// opened), 0 for an admin.
    pub visible_from: i64,
    /// The chat is closed (an idle or blocked inquiry, a direct chat closed on a guardian's
    /// request): read-only for everyone.
    pub closed: bool,
    /// The chat is an announcement and the caller is not its owner: they read, never post.
    pub read_only: bool,
    /// A direct chat whose teacher left the school: read-only until an admin hands it over.
    pub departed: bool,
}

impl Access {
    const ALL: Self = Self { visible_from: 0, closed: false, read_only: false, departed: false };

    /// 403 `teacher_departed` in a direct chat whose teacher left the school, and
    /// `announcement_read_only` when only the chat's owner posts in it and the caller is not
    /// them: for messages (the log's trigger refuses them too), typing and uploads.
    pub fn postable(self, chat_id: i64) -> Result<Self> {
        let this = self.staffed(chat_id)?;
        if this.read_only {
            return Err(AppError::Forbidden(format!(
                "chat {chat_id} is an announcement: only its owner posts, members read"
            ))
            .with_code(Code::AnnouncementReadOnly));
        }
        Ok(this)
    }

    /// 403 `teacher_departed` in a direct chat whose teacher left the school: read-only for
    /// every write, messages as reactions and pins (the log's rules refuse them too).
    pub fn staffed(self, chat_id: i64) -> Result<Self> {
        if self.departed {
            return Err(AppError::Forbidden(format!(
                "the teacher of chat {chat_id} has left the school: it is read-only until an admin hands it over"
            ))
            .with_code(Code::TeacherDeparted));
        }
        Ok(self)
    }

    /// 409 when the chat is closed: for writes that are not events of the log (typing,
    /// uploads), which the log's triggers cannot refuse themselves.
    pub fn writable(self, chat_id: i64) -> Result<Self> {
        if self.closed {
            return Err(
                AppError::Conflict(format!("chat {chat_id} is closed: it is read-only")).with_code(Code::ChatClosed)
            );
        }
        Ok(self)
    }
}

/// The answer for a chat that does not exist and for one the caller may not use alike: 403
/// (the primary specification's answer to a non-participant), the same body for both, so that
/// ids (sequential) tell nobody which chats exist.
pub fn no_chat(chat_id: i64) -> AppError {
    AppError::Forbidden(format!("chat {chat_id} does not exist or you are not a participant"))
}

/// Whether chat `chat_id` exists, for the one contract that answers an unknown chat apart from
/// a refused one (the unet-chat dialect's socket handshake: 404, 403): asked only after
/// [`check_access`] refused a signed-in caller, so it tells them nothing an id's sequence
/// does not.
pub async fn chat_exists(state: &AppState, chat_id: i64) -> Result<bool> {
    let client = state.db.get().await?;
    Ok(client.query_opt("SELECT 1 FROM chats WHERE id = $1", &[&chat_id]).await?.is_some())
}

/// Whether `user` may read chat `chat_id`: 403 unless it exists and the user is a member now or
/// an admin ([`no_chat`]). Writing additionally excludes admins (checked by the caller). The
/// hub answers for the direct chats this replica knows (their members never change); the
/// database for groups (a removal must take effect at once, on every replica) and the rest.
pub async fn check_access(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<Access> {
    if user.role == Role::Guardian {
        // A chat a guardian uses whole (its details, its members, its files) is a direct one
        // of their child's, or their own family chat (below, as any member's): of a group they
        // read only their child's messages, through [`check_read_access`].
        let client = state.db.get().await?;
        if let Some(ward) = wards_in(&client, user.id, &[chat_id], false).await?.remove(&chat_id) {
            return Ok(Access { visible_from: ward.since, closed: ward.closed, read_only: false, departed: false });
        }
    }
    match state.hub.is_member(chat_id, user.id) {
        // The hub answers for open direct chats only (a closed one is the database's).
        Some(true) => return Ok(Access::ALL),
        Some(false) if user.is_admin() => return Ok(Access::ALL),
        Some(false) => return Err(no_chat(chat_id)),
        None => {}
    }
    // Prepared once per pooled connection: a group's every message, typing request and history
    // page asks, and an unprepared statement is two round trips (parse, then execute).
    let client = state.db.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT p.joined_position,
                    c.closed_at IS NOT NULL OR c.kind = 'family' AND NOT EXISTS (
                        SELECT 1 FROM family_children f WHERE f.guardian_id = c.guardian_id AND f.teacher_id = c.teacher_id) AS closed,
                    c.announcement AND c.created_by IS DISTINCT FROM $2 AS read_only,
                    c.kind IN ('direct', 'family') AND EXISTS (SELECT 1 FROM users t WHERE t.id = c.teacher_id
                                                               AND t.deactivated_at IS NOT NULL) AS departed
             FROM chats c
             LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2
             WHERE c.id = $1",
        )
        .await?;
    let row = client.query_opt(&statement, &[&chat_id, &user.id]).await?.ok_or_else(|| no_chat(chat_id))?;
    let (closed, read_only, departed) = (row.get("closed"), row.get("read_only"), row.get("departed"));
    match row.get::<_, Option<i64>>("joined_position") {
        _ if user.is_admin() => Ok(Access { visible_from: 0, closed, read_only, departed }),
        Some(joined) => Ok(Access { visible_from: joined, closed, read_only, departed }),
        None => Err(no_chat(chat_id)),
    }
}

/// [`check_access`] for sending a message, the hottest request: the hub answers for a group's
/// members from memory (a class's every message would otherwise take a pooled connection and
/// a query), since the log checks membership again under its lock as it appends; a removal
/// this replica has not read yet is refused there, answered as [`no_chat`] by the caller. A
/// group never closes and has no teacher to leave. Guardians, other kinds of chat and
/// whoever the hub does not know as a member are [`check_access`]'s.
pub async fn send_access(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<Access> {
    if user.role != Role::Guardian
        && let Some(member) = state.hub.group_member(chat_id, user.id)
    {
        return Ok(Access { visible_from: member.since, closed: false, read_only: member.listener, departed: false });
    }
    check_access(state, chat_id, user).await
}

/// The stretches of a chat's log a reader may read: their membership intervals, as
/// (from, through) positions, the current one open-ended, and whose messages each shows.
/// Admins and the pair of a direct chat read it all. A former member reads the intervals they
/// were a member in, as a resumed stream replays them: history, replay, quotes, search and
/// export follow one rule. A guardian under `GUARDIAN_GROUPS=own_messages` reads a group in
/// the stretches where their child was a member and they were linked, and only the child's
/// own messages there.
#[derive(Debug, Clone)]
pub struct Readable {
    pub from: Vec<i64>,
    pub through: Vec<i64>,
    /// For each stretch, whose messages it shows: everyone's (`None`) or one person's.
    pub authors: Vec<Option<i64>>,
    /// In an announcement whose owner the reader is not, the only members they may see named:
    /// its owner and themself (families in one to families never learn of each other).
    pub listener_of: Option<[i64; 2]>,
}

impl Readable {
    fn all() -> Self {
        Self { from: vec![0], through: vec![i64::MAX], authors: vec![None], listener_of: None }
    }

    fn none() -> Self {
        Self { from: Vec::new(), through: Vec::new(), authors: Vec::new(), listener_of: None }
    }

    /// Whether the message at `position` by `sender` is the reader's to see.
    pub fn shows(&self, position: i64, sender: Option<i64>) -> bool {
        self.stretches().any(|(from, through, author)| {
            (from..=through).contains(&position) && author.is_none_or(|author| sender == Some(author))
        })
    }

    /// Whether the reader may be shown member `user`'s name: anyone's, unless they read only
    /// one person's messages (a guardian's stretches of their child's group: only the child).
    pub fn names(&self, user: i64) -> bool {
        self.authors.iter().all(|author| author.is_none_or(|author| author == user))
            && self.listener_of.is_none_or(|named| named.contains(&user))
    }

    fn stretches(&self) -> impl Iterator<Item = (i64, i64, Option<i64>)> + '_ {
        self.from.iter().zip(&self.through).zip(&self.authors).map(|((f, t), a)| (*f, *t, *a))
    }

    /// Where the membership that `position` falls in began (`None`: it falls in none).
    pub fn since(&self, position: i64) -> Option<i64> {
        self.from
            .iter()
            .zip(&self.through)
            .find(|(from, through)| (**from..=**through).contains(&position))
            .map(|(from, _)| *from)
    }
}

/// What `user` may read of chat `chat_id`: 403 if it does not exist or they never were a member
/// (and are no admin). Unlike [`check_access`], a former member passes, for what they
/// read while they were one.
pub async fn check_read_access(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<Readable> {
    if user.is_admin() {
        // Still 403 for a chat that does not exist.
        check_access(state, chat_id, user).await?;
        return Ok(Readable::all());
    }
    match read_access_in(state, &[chat_id], user).await?.remove(&chat_id) {
        Some(readable) if !readable.from.is_empty() => Ok(readable),
        _ => Err(no_chat(chat_id)),
    }
}

/// What a participant (no admin) may read of each of `chats`, in one statement for those this
/// replica cannot answer itself: their membership intervals, none for a chat they never were
/// a member of (or one that does not exist). No connection is taken when the hub answers all.
pub async fn read_access_in(state: &AppState, chats: &[i64], user: &AuthUser) -> Result<HashMap<i64, Readable>> {
    if user.role == Role::Guardian {
        // Their children's chats by the guardian's rule, their own family chats as a member's.
        let client = state.db.get().await?;
        let groups = state.school.guardian_groups().own_messages();
        let wards = wards_in(&client, user.id, chats, groups).await?;
        let own: Vec<i64> = chats.iter().copied().filter(|chat| !wards.contains_key(chat)).collect();
        let mut readable: HashMap<i64, Readable> =
            wards.into_iter().map(|(chat, ward)| (chat, ward.readable)).collect();
        if !own.is_empty() {
            windows(&client, user.id, &own, &mut readable).await?;
        }
        return Ok(readable);
    }
    let (mut readable, ask) = known_to(&state.hub, user.id, chats);
    if !ask.is_empty() {
        let client = state.db.get().await?;
        windows(&client, user.id, &ask, &mut readable).await?;
    }
    Ok(readable)
}

/// [`read_access_in`] on `client` (a standby's, for a replay read there).
pub async fn readable_in(
    client: &deadpool_postgres::ClientWrapper,
    hub: &Hub,
    user: i64,
    chats: &[i64],
) -> Result<HashMap<i64, Readable>, tokio_postgres::Error> {
    let (mut readable, ask) = known_to(hub, user, chats);
    if !ask.is_empty() {
        windows(client, user, &ask, &mut readable).await?;
    }
    Ok(readable)
}

/// What the hub knows of `user`'s reading of `chats` (a direct chat of theirs: all of it), and
/// the chats it cannot answer, each entered as unreadable until [`windows`] says otherwise.
fn known_to(hub: &Hub, user: i64, chats: &[i64]) -> (HashMap<i64, Readable>, Vec<i64>) {
    let mut readable = HashMap::new();
    let mut ask = Vec::new();
    for &chat_id in chats {
        if hub.is_member(chat_id, user) == Some(true) {
            readable.insert(chat_id, Readable::all());
        } else if !ask.contains(&chat_id) {
            readable.insert(chat_id, Readable::none());
            ask.push(chat_id);
        }
    }
    (readable, ask)
}

/// Person $1's stretches of membership in each of chats $2 (from and through positions),
/// what [`read_access_in`] asks the database when the hub cannot answer. Public so that the
/// benchmark can run exactly this statement.
pub const MEMBERSHIP_WINDOWS_SQL: &str =
    "SELECT chat_id, array_agg(from_position ORDER BY from_position) AS from_positions,
        array_agg(coalesce(to_position, 9223372036854775807) ORDER BY from_position) AS through_positions,
        (SELECT c.created_by FROM chats c WHERE c.id = m.chat_id AND c.announcement
                                            AND c.created_by IS DISTINCT FROM $1) AS listening_to
    FROM chat_memberships m WHERE user_id = $1 AND chat_id = ANY($2) GROUP BY chat_id";

/// `user`'s membership intervals in `chats`, in one statement, into `readable`.
async fn windows(
    client: &deadpool_postgres::ClientWrapper,
    user: i64,
    chats: &[i64],
    readable: &mut HashMap<i64, Readable>,
) -> Result<(), tokio_postgres::Error> {
    let statement = client.prepare_cached(MEMBERSHIP_WINDOWS_SQL).await?;
    for row in client.query(&statement, &[&user, &chats]).await? {
        let from: Vec<i64> = row.get("from_positions");
        let authors = vec![None; from.len()];
        let listener_of = row.get::<_, Option<i64>>("listening_to").map(|owner| [owner, user]);
        let through = row.get("through_positions");
        readable.insert(row.get("chat_id"), Readable { from, through, authors, listener_of });
    }
    Ok(())
}

/// A chat a guardian reads: whose it is (the student they are linked to), from where (the
/// position of the link open now, or in a group where the child's membership and the link
/// both began), whether it is closed, whether they read only the child's own messages there (a
/// group), and the stretches they read ([`Readable`]).
#[derive(Debug, Clone)]
pub struct Ward {
    pub student: i64,
    pub since: i64,
    pub closed: bool,
    pub own_only: bool,
    pub readable: Readable,
}

/// Which of `chats` guardian `guardian` reads now, and how (`guardian_reading()`, the one
/// rule the replay, the chat list, the access records and the push outbox read too): the
/// direct chats of the students they are linked to, each from its link on; with `groups`
/// (`GUARDIAN_GROUPS=own_messages`), also the groups those students were members of while
/// linked, their own messages only. The database answers, so a link ended on another replica
/// ends the reading at once.
pub async fn wards_in(
    client: &deadpool_postgres::ClientWrapper,
    guardian: i64,
    chats: &[i64],
    groups: bool,
) -> Result<HashMap<i64, Ward>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "SELECT r.chat_id, r.student_id, r.from_position, coalesce(r.to_position, 9223372036854775807) AS through,
                    r.own_only, c.closed_at IS NOT NULL AS closed
             FROM guardian_reading($1, $3) r JOIN chats c ON c.id = r.chat_id
             WHERE r.chat_id = ANY($2) ORDER BY r.chat_id, r.from_position",
        )
        .await?;
    let mut wards: HashMap<i64, Ward> = HashMap::new();
    for row in client.query(&statement, &[&guardian, &chats, &groups]).await? {
        let (student, from, own_only): (i64, i64, bool) =
            (row.get("student_id"), row.get("from_position"), row.get("own_only"));
        let ward = wards.entry(row.get("chat_id")).or_insert_with(|| Ward {
            student,
            since: from,
            closed: row.get("closed"),
            own_only,
            readable: Readable::none(),
        });
        ward.readable.from.push(from);
        ward.readable.through.push(row.get("through"));
        ward.readable.authors.push(own_only.then_some(student));
    }
    Ok(wards)
}

/// Whether `user` may see message `id` (as history would show it to them): for an answer that
/// must not tell whether a message they may not see exists.
pub async fn may_see_message(state: &AppState, id: i64, user: &AuthUser) -> Result<bool> {
    let row = state
        .db
        .get()
        .await?
        .query_opt("SELECT chat_id, position, sender_id FROM messages WHERE id = $1", &[&id])
        .await?;
    let Some(row) = row else { return Ok(false) };
    match check_read_access(state, row.get("chat_id"), user).await {
        Ok(readable) => Ok(readable.shows(row.get("position"), row.get("sender_id"))),
        Err(AppError::Forbidden(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// 403 for a message that does not exist and for one the caller may not see alike (the same
/// body: see [`no_chat`]).
pub fn no_message(id: i64) -> AppError {
    AppError::Forbidden(format!("message {id} does not exist or you may not see it"))
}

//! Who may do what: the one place authorization is decided. A test (`tests/api/house/access.rs`)
//! keeps every other module from asking the hub about membership, reading membership windows or
//! branching on the caller being an admin.
//!
//! - **By role**, as extractors a handler's signature names (`roles.rs`): [`Admin`], [`Staff`]
//!   (a teacher or an admin), [`Participant`] (anyone but an admin: admins never write) and
//!   [`Writer`] (a participant within their write rate); [`viewer`] says what a caller is shown.
//! - **By chat**, one membership rule (`chat.rs`): who may use a chat now ([`check_access`]), and
//!   which stretches of its log a person may read ([`Readable`], [`readable_in`]), for history,
//!   the event stream's replay, search's quotes, export and quotes alike; the hub is a cache of
//!   it for direct chats, and for a group's members sending a message ([`send_access`]: the log
//!   checks that again as it appends). What a guardian reads ([`wards_in`]: their children's
//!   direct chats, and under `GUARDIAN_GROUPS=own_messages` the children's own messages in
//!   groups, by the database's `guardian_reading()`, which the replay, the chat list and the
//!   outbox read too).
//!   Who may manage a group ([`group_manager`]); who may pin a chat's messages ([`may_pin`]).
//! - **Who sees the read markers** of a chat whole, its messages' "seen by N of M"
//!   ([`may_see_receipts`], `receipts.rs`).
//! - **Who read what**: a read by someone who takes no part in the chat (an admin, a guardian)
//!   is recorded before it is answered ([`record_read`], `records.rs`).
//! - **Blocking** (`blocks.rs`): who blocks an inquiry's visitor, which visitors a link
//!   refuses, which guardian may ask for a direct chat's closing.
//! - **Scheduled messages** (`scheduling.rs`): who may schedule one, and whether its author
//!   may still write it when it is due.
//! - **By resource**: who completes a lesson, revokes an inquiry link, downloads a file
//!   (`resources.rs`).
//! - **Which chats a person has**, as one list by id (`listing.rs`), for a dialect that pages
//!   by offset.
//! - **Presence** (`presence.rs`): whose presence a person is shown, one rule for the chat
//!   list, a chat's details, the stream's frames and signals and the presence endpoint.
//! - **Provisioning clients** (`provisioning.rs`): the school's systems, by their bearer token
//!   and its scope ([`ScimClient`], [`TimetableClient`]), never a person.
//! - **By route**, for guests and suspended people. Every route that takes a signed-in person
//!   is closed to two kinds of caller unless its router says otherwise: **guests** (an inquiry's
//!   visitor without an account) may call only the routes placed on the guests' router
//!   ([`for_guests`]): their chat's details, history, files, read markers, typing, sends and
//!   their own messages' changes, search, export, the event stream, their profile, logging out
//!   (membership then confines each to their own chat); **suspended** people read everything
//!   they could, and write only through the routes on the suspended's router
//!   ([`for_suspended`]): marking chats read, logging out, a browser's push subscription. A
//!   route added anywhere else refuses both (`tests/api/guests.rs` calls every documented
//!   operation as a guest and as a suspended person). The marks live in `auth::routes`, because
//!   the authentication extractor reads them.
//!
//! The log's triggers hold the same rules for every write a second time, under the log's lock
//! (`sql/functions/events_rule_*.sql`, each stating its rule in its comment), so psql obeys them
//! too: a guest's or a suspended person's event, an admin's message, a non-member's write are
//! refused by the log itself.

mod blocks;
mod chat;
mod groups;
mod listing;
mod pins;
mod presence;
mod provisioning;
mod receipts;
mod records;
mod resources;
mod roles;
mod scheduling;

pub use crate::auth::routes::{
    GuestRoute, NoCookieRoute, SuspendedRoute, TicketRoute, for_guests, for_suspended, for_tickets, without_cookies,
};
pub use blocks::{address_hash, may_block_visitor, may_request_closure, refuse_blocked_visitor};
pub use chat::{
    Access, MEMBERSHIP_WINDOWS_SQL, Readable, Ward, chat_exists, check_access, check_read_access, may_see_message,
    no_chat, no_message, read_access_in, readable_in, send_access, wards_in,
};
pub use groups::{Roster, families_of, group_manager, is_member, roster};
pub use listing::{Listed, Members, UNPAGED_ADMIN_LIST, chats_of, members_of, own_or_admin, recent_chats_of};
pub use pins::may_pin;
pub use presence::{may_see_presence, sees_presence};
pub use provisioning::{ProvisioningClient, ScimClient, TimetableClient, linked_students};
pub use receipts::may_see_receipts;
pub use records::{STREAM_READS_JOB, Via, keep_recording_streams, record_read, record_stream};
pub use resources::{AttachedTo, Attachment, may_complete_lesson, may_read_attachment, may_revoke_link, no_attachment};
pub use roles::{Act, Admin, Participant, Staff, Viewer, Writer, viewer};
pub use scheduling::{may_schedule, write_refusal};

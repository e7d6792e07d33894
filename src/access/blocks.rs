//! Blocking and closing on request: who may block an inquiry's visitor, whether a visitor is
//! one an inquiry link refuses, and who may ask for a direct chat's closing. The log's rules
//! say the same (`events_rule_chat_closed`, `events_rule_closure`).
//!
//! A blocked visitor is recognised by what they bring back, never by who they are (they have
//! no account): the guest credential their browser still holds (the `tutorchat_guest` cookie,
//! or the token as a Bearer), signed by this server even though its session ended; and, for
//! `INQUIRY_BLOCK_ADDRESS_HOURS` after the block, the address they opened the inquiry from,
//! kept only as an HMAC under the server's key (`guest_addresses`). A visitor with a new
//! browser on another network is not recognised: revoking the link is the remedy.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::chat::no_chat;
use crate::auth::{AuthUser, Role};
use crate::error::Code;
use crate::{AppError, AppState, Result};

/// An inquiry's visitor is blocked by the inquiry's teacher or an admin; in a family chat either
/// member blocks the other (the guardian, the teacher), or an admin ends it so. 403 for anyone
/// else (a student, another teacher), as for a chat that does not exist, and for a chat of
/// another kind.
pub async fn may_block_visitor(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<()> {
    let row = state
        .db
        .get()
        .await?
        .query_opt(
            "SELECT c.kind IN ('inquiry', 'family') AS blockable,
                    EXISTS (SELECT 1 FROM chat_participants p
                            WHERE p.chat_id = c.id AND p.user_id = $2
                              AND (p.role = 'teacher' OR c.kind = 'family')) AS member
             FROM chats c WHERE c.id = $1",
            &[&chat_id, &user.id],
        )
        .await?
        .ok_or_else(|| no_chat(chat_id))?;
    let (blockable, member): (bool, bool) = (row.get("blockable"), row.get("member"));
    match (user.role == Role::Admin || member, blockable) {
        (false, _) => Err(no_chat(chat_id)),
        (true, false) => Err(AppError::Forbidden(format!(
            "chat {chat_id} is neither an inquiry nor a family chat: nobody in it can be blocked"
        ))),
        (true, true) => Ok(()),
    }
}

/// A closure request is made by a guardian linked now to the student of the direct chat: 403
/// for anyone else (the chat's participants, an admin, another child's guardian), as for a
/// chat that does not exist.
pub async fn may_request_closure(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<()> {
    if user.role != Role::Guardian {
        return Err(AppError::Forbidden("only a guardian of the chat's student asks the school to close it".into()));
    }
    let client = state.db.get().await?;
    let wards = super::chat::wards_in(&client, user.id, &[chat_id], false).await?; // direct chats only
    if wards.contains_key(&chat_id) { Ok(()) } else { Err(no_chat(chat_id)) }
}

/// The keyed hash of a visitor's address (`guest_addresses.address_hash`): an HMAC-SHA256 under
/// the server's secret, so that the table holds no address and a copy of it reveals none.
pub fn address_hash(secret: &[u8], address: std::net::IpAddr) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { unreachable!("HMAC takes keys of any length") };
    mac.update(b"tutorchat inquiry visitor address\0");
    mac.update(address.to_string().as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// 403 `visitor_blocked` when link `link` blocked this visitor: the guest `guest` their
/// credential names, or (for `address_window` after the block; zero: never) a guest who opened
/// it from the same address.
pub async fn refuse_blocked_visitor(
    client: &impl tokio_postgres::GenericClient,
    link: i64,
    guest: Option<i64>,
    address: &[u8],
    address_window: std::time::Duration,
) -> Result<()> {
    let blocked: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM inquiry_blocks b WHERE b.link_id = $1 AND b.guest_id = $2)
                 OR ($4::float8 > 0 AND EXISTS (
                     SELECT 1 FROM inquiry_blocks b JOIN guest_addresses a ON a.guest_id = b.guest_id
                     WHERE b.link_id = $1 AND a.link_id = $1 AND a.address_hash = $3
                       AND b.blocked_at > now() - make_interval(secs => $4)))",
            &[&link, &guest, &address, &address_window.as_secs_f64()],
        )
        .await?
        .get(0);
    if blocked {
        return Err(AppError::Forbidden(
            "the teacher of this inquiry link has blocked you: it opens no new conversation for you".into(),
        )
        .with_code(Code::VisitorBlocked));
    }
    Ok(())
}

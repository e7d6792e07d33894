//! What an email says, in Russian and then in English (the school's people read one or the
//! other, and an email has no language switch): an instant one, the unread messages of one
//! chat (their text only as far as `PUSH_PREVIEW` lets a notification show it); a digest, the
//! chats with unread messages and how many. Both link to the chat and to unsubscribing.

use crate::auth::Keys;
use crate::config::PushPreview;

/// The purpose an unsubscribe link is sealed for (no session token has it).
pub const PURPOSE: &str = "tutorchat email unsubscribe";

/// How long an unsubscribe link works.
const LINK_TTL: std::time::Duration = std::time::Duration::from_secs(366 * 24 * 3600);

/// Above the link at the end of every email.
pub const UNSUBSCRIBE: &str = "Не хотите получать такие письма? / Don't want these emails?";

/// The link that turns `user`'s email off without signing in: `GET` shows it done, `POST` is
/// RFC 8058's one click.
pub fn unsubscribe_link(keys: &Keys, public: &url::Url, user: i64) -> anyhow::Result<String> {
    let token = keys.seal(PURPOSE, &serde_json::json!({ "sub": user.to_string() }), LINK_TTL)?;
    Ok(format!("{public}api/email/unsubscribe?token={token}"))
}

/// The person a link was sealed for, if it is intact and not expired.
pub fn unsubscriber(keys: &Keys, token: &str) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Claims {
        sub: String,
    }
    keys.open::<Claims>(PURPOSE, token)?.sub.parse().ok()
}

/// An instant email: `user`'s unread messages of chat `chat` among `messages` (the notice's
/// first and newest), newest first; `None` when none is left (read, deleted, hidden).
pub async fn instant(
    client: &impl tokio_postgres::GenericClient,
    public: &url::Url,
    preview: PushPreview,
    user: i64,
    chat: i64,
    (first, newest): (i64, i64),
) -> anyhow::Result<Option<(String, String)>> {
    let rows = client
        .query(
            "SELECT s.name AS sender, c.kind, c.title,
                    CASE WHEN m.content ~ '[^[:space:]]' THEN left(m.content, 200)
                         ELSE '📎 ' || (m.attachments -> 0 ->> 'name') END AS text
             FROM messages m JOIN users s ON s.id = m.sender_id JOIN chats c ON c.id = m.chat_id
             JOIN chat_participants p ON p.chat_id = m.chat_id AND p.user_id = $2
             WHERE m.chat_id = $1 AND m.id BETWEEN $3 AND $4 AND m.id > p.last_read_message_id
               AND m.sender_id <> $2 AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
             ORDER BY m.id DESC",
            &[&chat, &user, &first, &newest],
        )
        .await?;
    let Some(last) = rows.first() else { return Ok(None) };
    let (sender, title, text): (String, Option<String>, Option<String>) =
        (last.try_get("sender")?, last.try_get("title")?, last.try_get("text")?);
    let count = rows.len();
    let link = format!("{public}chats/{chat}");
    let (subject, ru, en) = match preview {
        PushPreview::Off => (
            "Новое сообщение в чате школы · A new message at school".to_owned(),
            format!("У вас непрочитанных сообщений: {count}."),
            format!("You have {count} unread message(s)."),
        ),
        PushPreview::Sender | PushPreview::Full => {
            let (in_ru, in_en) =
                title.as_ref().map_or((String::new(), String::new()), |t| (format!(" в «{t}»"), format!(" in “{t}”")));
            (
                format!("{sender}{in_ru} · New message from {sender}{in_en}"),
                format!("{sender}{in_ru}: непрочитанных сообщений: {count}."),
                format!("{sender}{in_en}: {count} unread message(s)."),
            )
        }
    };
    let quote = match (preview, text) {
        (PushPreview::Full, Some(text)) => format!("\n\n«{text}»"),
        _ => String::new(),
    };
    Ok(Some((subject, format!("{ru}{quote}\nОткрыть чат: {link}\n\n{en}\nOpen the chat: {link}"))))
}

/// The daily digest: `user`'s chats with unread messages (not muted), most recent first, and
/// how many in each; `None` when nothing is unread.
pub async fn digest(
    client: &impl tokio_postgres::GenericClient,
    public: &url::Url,
    user: i64,
) -> anyhow::Result<Option<(String, String)>> {
    let rows = client
        .query(
            "SELECT c.id, coalesce(c.title, (SELECT u.name FROM chat_participants o JOIN users u ON u.id = o.user_id
                                             WHERE o.chat_id = c.id AND o.user_id <> $1 ORDER BY o.user_id LIMIT 1)) AS name,
                    n.unread
             FROM chat_participants p JOIN chats c ON c.id = p.chat_id
             CROSS JOIN LATERAL chat_unread(c.id, c.announcement, c.created_by = p.user_id, p.last_read_message_id,
                                            p.unread_count) n
             WHERE p.user_id = $1 AND n.unread > 0 AND NOT p.muted
             ORDER BY c.active_at DESC LIMIT 20",
            &[&user],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut lines = String::new();
    let mut total = 0;
    for row in &rows {
        let (id, name, unread): (i64, Option<String>, i64) =
            (row.try_get("id")?, row.try_get("name")?, row.try_get("unread")?);
        total += unread;
        lines.push_str(&format!("• {}: {unread} — {public}chats/{id}\n", name.unwrap_or_default()));
    }
    let subject = format!("Непрочитанные сообщения: {total} · Unread messages: {total}");
    Ok(Some((subject, format!("Непрочитанные сообщения за день / Today's unread messages:\n\n{lines}\n{public}"))))
}

//! What an email says, in the recipient's language (their own choice, else the school's): an
//! instant one, the unread messages of one chat (their text only as far as `PUSH_PREVIEW` lets a
//! notification show it); a digest, the chats with unread messages and how many. Both link to
//! the chat and to unsubscribing.

use crate::auth::Keys;
use crate::auth::sealed::Purpose;
use crate::config::{Language, PushPreview};

/// How long an unsubscribe link works: long enough for an email read weeks later, far short
/// of a year in mailboxes, gateways' and scanners' logs.
pub const LINK_TTL: std::time::Duration = std::time::Duration::from_secs(60 * 24 * 3600);

/// Above the link at the end of every email.
pub fn unsubscribe_line(language: Language) -> &'static str {
    match language {
        Language::Ru => "Не хотите получать такие письма? Отпишитесь:",
        Language::En => "Don't want these emails? Unsubscribe:",
    }
}

/// What an unsubscribe link carries: whose email it turns off, at which version of their links
/// (`users.email_link_version`: a link of an older version is refused). Not `sub`: it names
/// nobody as a caller, and it is sealed with the purpose's own key (`crate::auth::sealed`).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Unsubscribe {
    pub unsubscribe: i64,
    pub version: i32,
}

/// The link that turns `user`'s email off without signing in, and does nothing else: `GET`
/// shows a button, `POST` is RFC 8058's one click.
pub fn unsubscribe_link(keys: &Keys, public: &url::Url, user: i64, version: i32) -> anyhow::Result<String> {
    let token = keys.seal(Purpose::Unsubscribe, &Unsubscribe { unsubscribe: user, version }, LINK_TTL)?;
    Ok(format!("{public}api/email/unsubscribe?token={token}"))
}

/// What a link says, if it is intact and not expired (whether its version still holds is the
/// database's to say).
pub fn unsubscriber(keys: &Keys, token: &str) -> Option<Unsubscribe> {
    keys.open(Purpose::Unsubscribe, token)
}

/// An instant email in `language`: `user`'s unread messages of chat `chat` among `messages`
/// (the notice's first and newest), newest first; `None` when none is left (read, deleted,
/// hidden).
pub async fn instant(
    client: &impl tokio_postgres::GenericClient,
    public: &url::Url,
    (preview, language): (PushPreview, Language),
    user: i64,
    chat: i64,
    (first, newest): (i64, i64),
) -> anyhow::Result<Option<(String, String)>> {
    let rows = client
        .query(
            "SELECT s.name AS sender, s.role = 'guest' AS visitor, c.kind, c.title,
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
    let (sender, visitor, title, text): (String, bool, Option<String>, Option<String>) =
        (last.try_get("sender")?, last.try_get("visitor")?, last.try_get("title")?, last.try_get("text")?);
    // What others wrote, each on one line of its own and marked as theirs: a name or a title
    // never breaks the school's lines, a visitor is said to be one.
    let sender = one_line(&sender);
    let from = match (visitor, language) {
        (true, Language::Ru) => format!("{sender} (посетитель, не проверен)"),
        (true, Language::En) => format!("{sender} (a visitor, unverified)"),
        (false, _) => sender,
    };
    let count = rows.len();
    let link = format!("{public}chats/{chat}");
    let within = title.as_deref().map(one_line).map(|t| match language {
        Language::Ru => format!(" в «{t}»"),
        Language::En => format!(" in “{t}”"),
    });
    let within = within.unwrap_or_default();
    let (subject, said) = match (preview, language) {
        (PushPreview::Off, Language::Ru) => {
            ("Новое сообщение в чате школы".to_owned(), format!("У вас непрочитанных сообщений: {count}."))
        }
        (PushPreview::Off, Language::En) => {
            ("A new message at school".to_owned(), format!("You have {count} unread message(s)."))
        }
        (_, Language::Ru) => (format!("{from}{within}"), format!("{from}{within}: непрочитанных сообщений: {count}.")),
        (_, Language::En) => {
            (format!("New message from {from}{within}"), format!("{from}{within}: {count} unread message(s)."))
        }
    };
    let quote = match (preview, text) {
        (PushPreview::Full, Some(text)) => format!("\n\n{}", quoted(&text)),
        _ => String::new(),
    };
    let open = match language {
        Language::Ru => "Открыть чат",
        Language::En => "Open the chat",
    };
    Ok(Some((subject, format!("{said}{quote}\n\n{open}: {link}"))))
}

/// `text` as one line: every run of whitespace and control characters a single space.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A message's text quoted as an email quotes: every line behind `> `, so that none of it reads
/// as the school's own (a link it carries is the writer's, not the email's).
fn quoted(text: &str) -> String {
    let breaks = |c: char| matches!(c, '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let line = |l: &str| format!("> {}", l.chars().filter(|c| !c.is_control()).collect::<String>());
    text.replace("\r\n", "\n").split(breaks).map(line).collect::<Vec<_>>().join("\n")
}

/// The daily digest in `language`: `user`'s chats with unread messages (not muted), most recent
/// first, and how many in each; `None` when nothing is unread.
pub async fn digest(
    client: &impl tokio_postgres::GenericClient,
    public: &url::Url,
    language: Language,
    user: i64,
) -> anyhow::Result<Option<(String, String)>> {
    let rows = client
        .query(
            "SELECT c.id, coalesce(c.title, (SELECT u.name FROM chat_participants o JOIN users u ON u.id = o.user_id
                                             WHERE o.chat_id = c.id AND o.user_id <> $1 ORDER BY o.user_id LIMIT 1)) AS name,
                    n.unread
             FROM chat_participants p JOIN chats c ON c.id = p.chat_id
             CROSS JOIN LATERAL chat_unread(c.id, p.user_id, p.last_read_message_id) n
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
    let (subject, heading) = match language {
        Language::Ru => (format!("Непрочитанные сообщения: {total}"), "Непрочитанные сообщения за день:"),
        Language::En => (format!("Unread messages: {total}"), "Today's unread messages:"),
    };
    Ok(Some((subject, format!("{heading}\n\n{lines}\n{public}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_line_and_a_quote_marks_every_line_as_the_writers() {
        assert_eq!(
            one_line("P\r\nBcc: x@evil.example\r\n\r\nVerify at https://evil.example"),
            "P Bcc: x@evil.example Verify at https://evil.example"
        );
        assert_eq!(
            quoted("Sign in at https://evil.example\r\nOpen the chat: https://evil.example/chats/1"),
            "> Sign in at https://evil.example\n> Open the chat: https://evil.example/chats/1"
        );
        assert!(quoted("a\u{2028}b\nc").lines().all(|l| l.starts_with("> ")));
    }
}

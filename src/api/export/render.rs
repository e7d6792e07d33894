//! An export's three formats, each written piece by piece as the rows arrive: the head (school,
//! chat, members, who exported it and when), one message at a time, the end. Each piece comes
//! back as bytes for the response body, so no format holds the conversation.

use serde::Serialize;
use time::OffsetDateTime;

use super::local::{Lang, Words, Zone};
use super::pdf::{PdfWriter, Style};
use crate::wire::{Attachment, Hidden, Person, Purged};

/// What an export says before its messages.
#[derive(Debug, Serialize)]
pub struct Head {
    pub school: String,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    pub exported_by: Person,
    /// The moment the conversation is shown as it was.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub language: Lang,
    pub chat: ExportedChat,
    /// Its members at `at`.
    pub members: Vec<Member>,
}

#[derive(Debug, Serialize)]
pub struct ExportedChat {
    pub id: i64,
    pub kind: String,
    pub title: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub member_since: OffsetDateTime,
}

/// A message as it was at the export's moment, as the reader may see it (an admin: as the
/// audit does, `audit_chat_at`).
#[derive(Debug, Serialize)]
pub struct Message {
    pub message_id: i64,
    pub sender_id: i64,
    pub sender_name: String,
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub is_deleted: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    pub reply_to_message_id: Option<i64>,
    pub attachments: Vec<Attachment>,
    pub hidden: Option<Hidden>,
    pub purged: Option<Purged>,
    /// As they are now: one per emoji, in the order each was first given.
    pub reactions: Vec<ExportedReaction>,
    /// Whom its text mentions, named as they are now (by id).
    pub mentions: Vec<crate::wire::Mention>,
    /// Since when it is pinned at the chat's top, if it is now (a hidden, deleted or purged
    /// message never is).
    #[serde(with = "time::serde::rfc3339::option")]
    pub pinned_at: Option<OffsetDateTime>,
}

/// A message's reactions of one emoji: how many, and who, in the order they reacted.
#[derive(Debug, Serialize)]
pub struct ExportedReaction {
    pub emoji: String,
    pub count: usize,
    pub people: Vec<ExportedPerson>,
}

#[derive(Debug, Serialize)]
pub struct ExportedPerson {
    pub user_id: i64,
    pub name: String,
}

impl ExportedReaction {
    /// A row's reactions (`message_reactions_of`) as they are now, as the export shows them:
    /// none on a message deleted, hidden or purged; each naming only whom the reader may be
    /// shown (`names`: a guardian's export of their child's group names the child alone).
    pub fn of(
        row: &tokio_postgres::Row,
        message: &Message,
        names: impl Fn(i64) -> bool,
    ) -> Result<Vec<Self>, tokio_postgres::Error> {
        if message.is_deleted || message.hidden.is_some() || message.purged.is_some() {
            return Ok(Vec::new());
        }
        let reacted = crate::wire::Reacted::list_from_row(row, "reactions")?;
        Ok(reacted.into_iter().filter_map(|reacted| Self::shown(reacted, &names)).collect())
    }

    /// The people of `reacted` the reader may be shown (`names`); none: no reaction to show.
    fn shown(reacted: crate::wire::Reacted, names: impl Fn(i64) -> bool) -> Option<Self> {
        let people: Vec<ExportedPerson> = reacted
            .user_ids
            .into_iter()
            .zip(reacted.names)
            .filter(|(user_id, _)| names(*user_id))
            .map(|(user_id, name)| ExportedPerson { user_id, name })
            .collect();
        (!people.is_empty()).then_some(Self { emoji: reacted.emoji, count: people.len(), people })
    }
}

/// One format's writer.
pub enum Renderer {
    Json { first: bool },
    Html { lang: Lang, zone: Zone },
    Pdf { lang: Lang, zone: Zone, writer: Box<PdfWriter<Vec<u8>>> },
}

impl Renderer {
    pub fn head(&mut self, head: &Head) -> anyhow::Result<Vec<u8>> {
        match self {
            Self::Json { .. } => {
                let mut json = serde_json::to_string(head)?;
                json.pop(); // the closing brace: the messages follow
                json.push_str(",\"messages\":[");
                Ok(json.into_bytes())
            }
            Self::Html { lang, zone } => Ok(html_head(head, *lang, zone).into_bytes()),
            Self::Pdf { lang, zone, writer } => {
                let words = Words::of(*lang);
                let title = chat_title(head, *lang);
                writer.set_title(&title);
                writer.paragraph(&format!("{} — {title}", head.school), Style::Heading)?;
                writer.paragraph(&head_lines(head, *lang, zone).join("\n"), Style::Meta)?;
                writer.paragraph(&format!("{}: {}", words.members, members_line(&head.members)), Style::Meta)?;
                writer.gap(8.0);
                Ok(std::mem::take(writer.get_mut()))
            }
        }
    }

    pub fn message(&mut self, message: &Message) -> anyhow::Result<Vec<u8>> {
        match self {
            Self::Json { first } => {
                let mut json = if *first { String::new() } else { ",".to_owned() };
                *first = false;
                json.push_str(&serde_json::to_string(message)?);
                Ok(json.into_bytes())
            }
            Self::Html { lang, zone } => Ok(html_message(message, *lang, zone).into_bytes()),
            Self::Pdf { lang, zone, writer } => {
                writer.paragraph(&message_meta(message, *lang, zone), Style::Meta)?;
                match placeholder(message, *lang) {
                    Some(words) => writer.paragraph(&words, Style::Placeholder)?,
                    None => writer.paragraph(&message.content, Style::Body)?,
                }
                if let Some(files) = files_line(message, *lang) {
                    writer.paragraph(&files, Style::Meta)?;
                }
                if let Some(reactions) = reactions_line(message, *lang) {
                    writer.paragraph(&reactions, Style::Meta)?;
                }
                writer.gap(4.0);
                Ok(std::mem::take(writer.get_mut()))
            }
        }
    }

    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        match self {
            Self::Json { .. } => Ok(b"]}".to_vec()),
            Self::Html { .. } => Ok(b"</ol>\n</body>\n</html>\n".to_vec()),
            Self::Pdf { writer, .. } => Ok(writer.finish()?),
        }
    }
}

/// What the export is called: the chat's title, else (a direct chat) its members' names.
pub fn chat_title(head: &Head, lang: Lang) -> String {
    let names: Vec<&str> = head.members.iter().map(|m| m.name.as_str()).collect();
    match &head.chat.title {
        Some(title) => title.clone(),
        None if !names.is_empty() => names.join(" — "),
        None => format!("{} {}", Words::of(lang).chat, head.chat.id),
    }
}

fn head_lines(head: &Head, lang: Lang, zone: &Zone) -> Vec<String> {
    let words = Words::of(lang);
    vec![
        format!("{}: {} ({})", words.exported_by, head.exported_by.name, head.exported_by.id),
        format!("{}: {} ({})", words.exported_at, zone.show(head.exported_at), zone.name()),
        format!("{}: {}", words.as_of, zone.show(head.at)),
    ]
}

fn members_line(members: &[Member]) -> String {
    members.iter().map(|m| format!("{} ({}, {})", m.name, m.role, m.user_id)).collect::<Vec<_>>().join(", ")
}

fn message_meta(message: &Message, lang: Lang, zone: &Zone) -> String {
    let words = Words::of(lang);
    let when = |at| zone.show(at);
    let mut meta = format!("#{} · {} · {}", message.message_id, message.sender_name, when(message.created_at));
    if let Some(reply) = message.reply_to_message_id {
        meta.push_str(&format!(" · {} #{reply}", words.reply_to));
    }
    if let Some(edited) = message.edited_at {
        meta.push_str(&format!(" · {} {}", words.edited, when(edited)));
    }
    if let Some(deleted) = message.deleted_at {
        meta.push_str(&format!(" · {} {}", words.deleted, when(deleted)));
    }
    if let Some(pinned) = message.pinned_at {
        meta.push_str(&format!(" · {} {}", words.pinned, when(pinned)));
    }
    if let Some(hidden) = &message.hidden {
        meta.push_str(&format!(" · {} {}", words.hidden, when(hidden.hidden_at)));
        if let Some(reason) = &hidden.reason {
            meta.push_str(&format!(" ({reason})"));
        }
    }
    meta
}

/// What stands for a message's text when the reader may not see it.
fn placeholder(message: &Message, lang: Lang) -> Option<String> {
    let words = Words::of(lang);
    match (&message.purged, &message.hidden) {
        (Some(purged), _) => Some(match purged.cause {
            crate::wire::PurgeCause::Retention => words.purged_retention.to_owned(),
            crate::wire::PurgeCause::Erasure => words.purged_erasure.to_owned(),
        }),
        (None, Some(_)) if message.content.is_empty() && message.attachments.is_empty() => {
            Some(words.hidden.to_owned())
        }
        _ if message.is_deleted && message.content.is_empty() => Some(format!("({})", words.deleted)),
        _ => None,
    }
}

fn files_line(message: &Message, lang: Lang) -> Option<String> {
    (!message.attachments.is_empty()).then(|| {
        let files: Vec<String> =
            message.attachments.iter().map(|a| format!("{} ({}, {} B)", a.name, a.content_type, a.size)).collect();
        format!("{}: {}", Words::of(lang).files, files.join(", "))
    })
}

/// "Reactions: 👍 2 (Мария, Иван) · ✅ 1 (Мария)", or none.
fn reactions_line(message: &Message, lang: Lang) -> Option<String> {
    (!message.reactions.is_empty()).then(|| {
        let each: Vec<String> = message
            .reactions
            .iter()
            .map(|r| {
                let names: Vec<&str> = r.people.iter().map(|p| p.name.as_str()).collect();
                format!("{} {} ({})", r.emoji, r.count, names.join(", "))
            })
            .collect();
        format!("{}: {}", Words::of(lang).reactions, each.join(" · "))
    })
}

/// Text made safe inside HTML elements and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_head(head: &Head, lang: Lang, zone: &Zone) -> String {
    let words = Words::of(lang);
    let title = format!("{} — {}", head.school, chat_title(head, lang));
    let lines: String =
        head_lines(head, lang, zone).iter().map(|l| format!("<p class=\"meta\">{}</p>\n", escape(l))).collect();
    let members: String = head
        .members
        .iter()
        .map(|m| format!("<li>{} ({}, {})</li>", escape(&m.name), escape(&m.role), m.user_id))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}\
         .meta{{color:#666;font-size:.85rem;margin:.2rem 0}}ol{{list-style:none;padding:0}}\
         li.message{{border-top:1px solid #ddd;padding:.5rem 0}}.text{{white-space:pre-wrap;margin:.3rem 0}}\
         .placeholder{{color:#888;font-style:italic}}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p>{export}</p>\n{lines}<h2>{members_word}</h2>\n<ul>{members}</ul>\n<ol>\n",
        lang = if lang == Lang::Ru { "ru" } else { "en" },
        title = escape(&title),
        export = words.export,
        members_word = words.members,
    )
}

fn html_message(message: &Message, lang: Lang, zone: &Zone) -> String {
    let text = match placeholder(message, lang) {
        Some(words) => format!("<p class=\"text placeholder\">{}</p>", escape(&words)),
        None => format!("<p class=\"text\">{}</p>", escape(&message.content)),
    };
    let files = files_line(message, lang).map(|f| format!("<p class=\"meta\">{}</p>", escape(&f))).unwrap_or_default();
    let reactions =
        reactions_line(message, lang).map(|r| format!("<p class=\"meta\">{}</p>", escape(&r))).unwrap_or_default();
    format!(
        "<li class=\"message\" id=\"m{id}\"><p class=\"meta\">{meta}</p>{text}{files}{reactions}</li>\n",
        id = message.message_id,
        meta = escape(&message_meta(message, lang, zone)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_character_that_could_open_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}

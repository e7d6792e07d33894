//! How an export speaks to its reader: the labels in their language ([`Words`]) and moments
//! in the school's time zone, to the minute ([`Zone`]). The JSON export keeps RFC 3339 in UTC.

use axum::http::{HeaderMap, header};
use jiff::tz::TimeZone;
use time::OffsetDateTime;

/// The reader's language: the export's labels and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ru,
}

/// The school's time zone (`SCHOOL_TIMEZONE`, a name PostgreSQL knows, checked at start-up),
/// from the time zone database bundled with the server.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// The zone named `name`; UTC (and so named) if the bundled database does not know it.
    pub fn named(name: &str) -> Zone {
        match TimeZone::get(name) {
            Ok(tz) => Zone { name: name.to_owned(), tz },
            Err(_) => Zone { name: "UTC".to_owned(), tz: TimeZone::UTC },
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `at` on the school's clock: `2026-11-27 17:05`.
    pub fn show(&self, at: OffsetDateTime) -> String {
        match jiff::Timestamp::from_second(at.unix_timestamp()) {
            Ok(at) => at.to_zoned(self.tz.clone()).strftime("%Y-%m-%d %H:%M").to_string(),
            Err(_) => String::new(),
        }
    }
}

pub(super) struct Words {
    pub(super) export: &'static str,
    pub(super) members: &'static str,
    pub(super) exported_by: &'static str,
    pub(super) exported_at: &'static str,
    pub(super) as_of: &'static str,
    pub(super) deleted: &'static str,
    pub(super) edited: &'static str,
    pub(super) hidden: &'static str,
    pub(super) purged_retention: &'static str,
    pub(super) purged_erasure: &'static str,
    pub(super) reply_to: &'static str,
    pub(super) files: &'static str,
    pub(super) reactions: &'static str,
    pub(super) pinned: &'static str,
    pub(super) chat: &'static str,
}

impl Words {
    pub(super) fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::En => &Words {
                export: "Conversation export",
                members: "Members",
                exported_by: "Exported by",
                exported_at: "Exported at",
                as_of: "As it was at",
                deleted: "deleted",
                edited: "edited",
                hidden: "hidden by a moderator",
                purged_retention: "message removed (retention period)",
                purged_erasure: "message removed (erased on request)",
                reply_to: "reply to message",
                files: "Files",
                reactions: "Reactions",
                pinned: "pinned",
                chat: "Chat",
            },
            Lang::Ru => &Words {
                export: "Выгрузка переписки",
                members: "Участники",
                exported_by: "Выгрузил(а)",
                exported_at: "Время выгрузки",
                as_of: "Состояние на",
                deleted: "удалено",
                edited: "изменено",
                hidden: "скрыто модератором",
                purged_retention: "сообщение удалено по сроку хранения",
                purged_erasure: "сообщение удалено по запросу на удаление данных",
                reply_to: "ответ на сообщение",
                files: "Файлы",
                reactions: "Реакции",
                pinned: "закреплено",
                chat: "Чат",
            },
        }
    }
}

/// The reader's language: `lang`, else the first of `Accept-Language` this export speaks.
pub(super) fn language(lang: Option<Lang>, headers: &HeaderMap) -> Lang {
    if let Some(lang) = lang {
        return lang;
    }
    let accepted = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    for tag in accepted.split(',') {
        let tag = tag.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if tag.starts_with("ru") {
            return Lang::Ru;
        }
        if tag.starts_with("en") {
            return Lang::En;
        }
    }
    Lang::En
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_is_shown_on_the_schools_clock_to_the_minute() {
        let at = OffsetDateTime::from_unix_timestamp(1_764_255_912).expect("a moment") // 2025-11-27 15:05:12 UTC
            + time::Duration::nanoseconds(123_456_789);
        assert_eq!(Zone::named("Europe/Moscow").show(at), "2025-11-27 18:05");
        assert_eq!(Zone::named("Asia/Vladivostok").show(at), "2025-11-28 01:05");
        let unknown = Zone::named("Mars/Olympus");
        assert_eq!((unknown.name(), unknown.show(at).as_str()), ("UTC", "2025-11-27 15:05"));
        // Summer time: Berlin is UTC+2 in July.
        let july = OffsetDateTime::from_unix_timestamp(1_751_374_800).expect("a moment"); // 2025-07-01 13:00 UTC
        assert_eq!(Zone::named("Europe/Berlin").show(july), "2025-07-01 15:00");
    }
}

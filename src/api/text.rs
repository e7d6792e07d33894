//! When a text is blank: only whitespace and characters that render as nothing. Messages,
//! titles and names must not be; the OpenAPI document states the same rule as a pattern built
//! from the same tables ([`not_blank_pattern`]), so a generated client checks what the server
//! checks. And the rules of a message's text ([`check_message_text`]), wherever one is written.

use serde_json::{Value, json};

use crate::error::Code;
use crate::{AppError, Result};

/// Longest message, in Unicode scalar values.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// Whether a message's text may be empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// Never: the document forbids it (400, as blank).
    Refused,
    /// The message has attachments: it shows them.
    Allowed,
    /// The document allows an empty text (for a message with attachments), but this message
    /// has none: 422.
    Unfit,
}

/// 400 for a text with a NUL character, which PostgreSQL cannot hold: `field` names it.
pub fn check_no_nul(field: &str, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(AppError::BadRequest(format!("{field} must not contain the NUL character (U+0000)")));
    }
    Ok(())
}

/// 400 for a name or a title that is not one plain line: a control character (a line break, a
/// tab, NUL, …) or a line or paragraph separator, named by `field`. Names and titles are quoted
/// where others read them as one line (an email's subject and first line, a notification, a
/// chat's header): a line break there would let a visitor's words pass for the school's own.
pub fn check_one_line(field: &str, text: &str) -> Result<()> {
    match text.chars().find(|&c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
        Some(c) => Err(AppError::BadRequest(format!(
            "{field} must be one line, with no control characters or line breaks (it has U+{:04X})",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// The rules for a message's text, named `field` in the answers: no NUL, not blank, at most
/// [`MAX_MESSAGE_CHARS`]; empty as `empty` says.
pub fn check_message_text(field: &str, text: &str, empty: Empty) -> Result<()> {
    check_no_nul(field, text)?;
    match empty {
        Empty::Allowed if text.is_empty() => return Ok(()),
        Empty::Unfit if text.is_empty() => {
            return Err(AppError::Unprocessable(format!(
                "{field} is empty and the message has no attachments: it would show nothing"
            )));
        }
        _ => {}
    }
    if is_blank(text) {
        return Err(AppError::BadRequest(format!(
            "{field} must not be empty or only whitespace or invisible characters"
        ))
        .with_code(Code::ContentBlank));
    }
    let length = text.chars().count();
    if length > MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest(format!(
            "{field} is {length} characters long; the limit is {MAX_MESSAGE_CHARS}"
        ))
        .with_code(Code::ContentTooLong));
    }
    Ok(())
}

/// Whitespace as `char::is_whitespace` has it (Unicode's White_Space), written out so that the
/// document's pattern does not depend on what a regular-expression dialect calls `\s`.
const WHITESPACE: &[(char, char)] = &[
    ('\u{0009}', '\u{000D}'),
    ('\u{0020}', '\u{0020}'),
    ('\u{0085}', '\u{0085}'),
    ('\u{00A0}', '\u{00A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// Characters that render as nothing (format controls, joiners, fillers, variation selectors):
/// a text made only of them and whitespace looks blank.
const INVISIBLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E007F}'),
    ('\u{E0100}', '\u{E01EF}'),
];

fn within(table: &[(char, char)], c: char) -> bool {
    table.iter().any(|(from, to)| (*from..=*to).contains(&c))
}

/// Whether a text shows nothing: only whitespace and invisible characters (or none).
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| within(WHITESPACE, c) || within(INVISIBLE, c))
}

/// A JSON Schema (ECMA-262) pattern for a text with no NUL that is not blank. Characters beyond
/// U+FFFF cannot be written in that dialect's classes without the `u` flag, so the invisible
/// ones there (musical and tag characters) are left out of it: a text of only those passes the
/// pattern and is still refused.
pub fn not_blank_pattern() -> String {
    not_blank_excluding("\\u0000")
}

/// [`not_blank_pattern`] for a name or a title, which is also one line ([`check_one_line`]):
/// no control character, no line or paragraph separator.
pub fn one_line_pattern() -> String {
    not_blank_excluding("\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029")
}

/// A pattern for a text of none of the characters `excluded` (a class's inside) that is not blank.
fn not_blank_excluding(excluded: &str) -> String {
    let class: String = WHITESPACE
        .iter()
        .chain(INVISIBLE)
        .filter(|(from, _)| u32::from(*from) <= 0xFFFF)
        .map(|(from, to)| match from == to {
            true => format!("\\u{:04X}", u32::from(*from)),
            false => format!("\\u{:04X}-\\u{:04X}", u32::from(*from), u32::from(*to)),
        })
        .collect();
    format!("^[^{excluded}]*[^{excluded}{class}][^{excluded}]*$")
}

/// The texts that must not be blank: (schema, property).
const NOT_BLANK: &[(&str, &str)] = &[
    ("NewChat", "title"),
    ("Rename", "title"),
    ("NewLink", "title"),
    ("Visitor", "name"),
    ("Visitor", "message"),
    ("DirectMessage", "content"),
    ("V1SendBody", "body"),
    ("UnetSendBody", "text"),
    ("UnetEditBody", "text"),
    ("UnetNewConversation", "title"),
    ("MessengerOpen", "message"),
    ("Reason", "reason"),
    ("SuspendRequest", "reason"),
];

/// Of [`NOT_BLANK`], the names and titles, which are one line too ([`check_one_line`]).
const ONE_LINE: &[(&str, &str)] = &[
    ("NewChat", "title"),
    ("Rename", "title"),
    ("NewLink", "title"),
    ("Visitor", "name"),
    ("UnetNewConversation", "title"),
];

/// The texts that may be empty (a message with attachments) but not otherwise blank.
const EMPTY_OR_NOT_BLANK: &[(&str, &str)] = &[("SendMessage", "content"), ("EditMessage", "content")];

/// The query parameters that must not be blank: (path, parameter).
const NOT_BLANK_QUERY: &[(&str, &str)] = &[("/api/search", "q")];

/// States the not-blank rule in the OpenAPI document (`super::openapi`) as a pattern on each of
/// [`NOT_BLANK`], [`EMPTY_OR_NOT_BLANK`] and [`NOT_BLANK_QUERY`].
pub(super) fn state_in_document(document: &mut Value) {
    let pattern = not_blank_pattern();
    for (path, name) in NOT_BLANK_QUERY {
        let parameters = document.pointer_mut(&format!("/paths/{}/get/parameters", path.replace('/', "~1")));
        for parameter in parameters.and_then(Value::as_array_mut).into_iter().flatten() {
            if parameter["name"] == *name {
                parameter["schema"]["pattern"] = json!(pattern);
            }
        }
    }
    let or_empty = format!("^$|{pattern}");
    let one_line = one_line_pattern();
    let rules = NOT_BLANK
        .iter()
        .map(|t| (t, if ONE_LINE.contains(t) { &one_line } else { &pattern }))
        .chain(EMPTY_OR_NOT_BLANK.iter().map(|t| (t, &or_empty)));
    for ((schema, property), pattern) in rules {
        let pointer = format!("/components/schemas/{schema}/properties/{property}");
        if let Some(Value::Object(property)) = document.pointer_mut(&pointer) {
            property.insert("pattern".into(), json!(pattern));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whitespace_table_is_rusts_whitespace() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(within(WHITESPACE, c), c.is_whitespace(), "{:04X}", u32::from(c));
        }
    }

    #[test]
    fn blank_texts() {
        for blank in ["", " ", "\u{200B}\u{200B}", " \u{FEFF}\n\t", "\u{E0041}", "\u{3164}"] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for shown in ["a", " я ", "👋", "\u{200B}x"] {
            assert!(!is_blank(shown), "{shown:?}");
        }
        let pattern = not_blank_pattern();
        assert!(
            pattern.starts_with("^[^\\u0000]*[^\\u0000\\u0009-\\u000D\\u0020") && pattern.ends_with("][^\\u0000]*$")
        );
        assert!(!pattern.contains("1D173"), "astral ranges are left out: {pattern}");
        let one_line = one_line_pattern();
        assert!(one_line.starts_with("^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*["), "{one_line}");
    }
}

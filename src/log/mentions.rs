//! Whom a group message's text mentions, resolved before the message is appended.
//!
//! Appends to one chat wait for each other (its lock, held to commit), and delivery waits for
//! every append drawn before it, so nothing a request controls may grow the work done inside
//! one: the log's rule only checks, at a bounded cost, the ids this
//! resolves (`sql/functions/message_mentions_check.sql`). Here, in the request's own task and
//! outside any transaction of the log's, a text is resolved against the group's members in one
//! pass over its characters: each character is looked at for one "@" at most, and a name is
//! one hash lookup per distinct name length, so a text of 10,000 `@`s in a group of 500 costs
//! about what a text of 10,000 letters does.
//!
//! The rules (the same a school's users have always seen): an "@" at the start of a word (the
//! text's start, or after a character that is not a letter or a digit) followed by a member's
//! full name, in any case, ended by the text's end or a character that is not a letter or a
//! digit; of several names that fit, the longest (two members of that same name are both
//! mentioned); never the sender; at most [`MAX_MENTIONS`] people, in the order they are first
//! mentioned. Past that, an "@" is plain text.

use std::collections::{HashMap, HashSet};

use tokio_postgres::GenericClient;

/// The most people one message mentions. A mention notifies even in a muted chat, so it is a
/// way to reach people; twenty covers a class's roll call by name, and bounds what the log's
/// check does per message.
pub const MAX_MENTIONS: usize = 20;

/// The members a text may mention, by their name's length in characters, then by their
/// lower-cased name.
#[derive(Debug, Default)]
pub struct Members {
    by_length: Vec<HashMap<String, Vec<i64>>>,
}

impl Members {
    /// The members of `(id, name)`, the sender left out by the caller.
    pub fn new(members: impl IntoIterator<Item = (i64, String)>) -> Self {
        let mut this = Self::default();
        for (id, name) in members {
            let length = name.chars().count();
            if length == 0 {
                continue;
            }
            if this.by_length.len() <= length {
                this.by_length.resize_with(length + 1, HashMap::new);
            }
            this.by_length[length].entry(lower(name.chars())).or_default().push(id);
        }
        for ids in this.by_length.iter_mut().flat_map(HashMap::values_mut) {
            ids.sort_unstable();
        }
        this
    }

    /// Whom `text` mentions, in the order they are first mentioned, at most [`MAX_MENTIONS`].
    pub fn mentioned_in(&self, text: &str) -> Vec<i64> {
        let mut found = Vec::new();
        let Some(longest) = self.by_length.len().checked_sub(1) else { return found };
        let chars: Vec<char> = text.chars().collect();
        let mut seen = HashSet::new();
        let mut name = String::new();
        for at in 0..chars.len() {
            if chars[at] != '@' || (at > 0 && chars[at - 1].is_alphanumeric()) {
                continue;
            }
            // The longest name that follows this "@", read up to the next "@" at most: each
            // character is read for one "@" only.
            name.clear();
            let mut hit = None;
            for length in 1..=longest {
                let Some(&c) = chars.get(at + length).filter(|&&c| c != '@') else { break };
                name.extend(c.to_lowercase());
                let ended = chars.get(at + length + 1).is_none_or(|c| !c.is_alphanumeric());
                if ended {
                    hit = self.by_length[length].get(name.as_str()).or(hit);
                }
            }
            for &id in hit.into_iter().flatten() {
                if seen.insert(id) {
                    found.push(id);
                    if found.len() == MAX_MENTIONS {
                        return found;
                    }
                }
            }
        }
        found
    }
}

fn lower(chars: impl Iterator<Item = char>) -> String {
    chars.flat_map(char::to_lowercase).collect()
}

/// Whom `sender`'s `text` mentions in chat `chat_id`: none outside a group, and no query for a
/// text without an "@". The members are read as they are now; the log checks them again at
/// the append (a member who left meanwhile is dropped there).
pub async fn resolve(
    client: &impl GenericClient,
    chat_id: i64,
    sender: i64,
    text: &str,
) -> Result<Vec<i64>, tokio_postgres::Error> {
    if !text.contains('@') {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT u.id, u.name
             FROM chats c
             JOIN chat_participants p ON p.chat_id = c.id
             JOIN users u ON u.id = p.user_id
             WHERE c.id = $1 AND c.kind = 'group' AND p.user_id <> $2 AND u.erased_at IS NULL AND u.name <> ''",
            &[&chat_id, &sender],
        )
        .await?;
    let members =
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("name")?))).collect::<Result<Vec<_>, _>>()?;
    Ok(Members::new(members).mentioned_in(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class() -> Members {
        Members::new([
            (1, "Мария".to_owned()),
            (2, "Мария Иванова".to_owned()),
            (3, "Alex Kim".to_owned()),
            (4, "Alex".to_owned()),
            (5, "alex".to_owned()),
        ])
    }

    #[test]
    fn the_longest_name_that_fits_is_mentioned_in_any_case() {
        assert_eq!(class().mentioned_in("@мария иванова, привет"), vec![2]);
        assert_eq!(class().mentioned_in("@Мария, привет"), vec![1]);
        assert_eq!(class().mentioned_in("hi @ALEX KIM and @alex"), vec![3, 4, 5]);
    }

    #[test]
    fn a_name_must_start_a_word_and_end_one() {
        assert!(class().mentioned_in("mail me at x@Alex").is_empty());
        assert!(class().mentioned_in("@Alexandra").is_empty());
        assert_eq!(class().mentioned_in("(@Alex)"), vec![4, 5]);
        assert_eq!(class().mentioned_in("@@Alex"), vec![4, 5]);
        assert_eq!(class().mentioned_in("@Alex@Мария"), vec![4, 5], "the second \"@\" is inside a word");
    }

    #[test]
    fn people_come_in_the_order_they_are_first_mentioned_once_each() {
        assert_eq!(class().mentioned_in("@Мария @Alex Kim @Мария"), vec![1, 3]);
    }

    #[test]
    fn a_message_mentions_at_most_twenty_people() {
        let members = Members::new((1..=30).map(|i| (i, format!("Student {i}"))));
        let text: String = (1..=30).map(|i| format!("@Student {i} ")).collect();
        assert_eq!(members.mentioned_in(&text), (1..=20).collect::<Vec<_>>());
    }

    #[test]
    fn ten_thousand_ats_mention_nobody_and_read_each_character_once() {
        let members = Members::new((1..=500).map(|i| (i, format!("Student number {i}"))));
        assert!(members.mentioned_in(&"@".repeat(10_000)).is_empty());
        assert!(members.mentioned_in(&"@Student number ".repeat(600)).is_empty());
    }
}

//! A search page's cursor: where the next page starts, and how the words were matched. Given
//! out sealed (signed with the server's key, for one person, query, order and chat, for an
//! hour): a cursor says whether words match as prefixes, the costlier plan, so one the caller
//! wrote must not choose it.

use sha2::{Digest, Sha256};

use super::SearchOrder;
use crate::auth::Keys;
use crate::auth::sealed::Purpose;
use crate::{AppError, Result};

/// How long a cursor may be used to turn a page.
const TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// The search a cursor belongs to: who, which words, which order, which chat.
pub(super) struct Search<'a> {
    pub user: i64,
    pub q: &'a str,
    pub order: SearchOrder,
    pub chat_id: Option<i64>,
}

impl Search<'_> {
    fn fingerprint(&self) -> String {
        let mut digest = Sha256::new();
        digest.update(self.user.to_be_bytes());
        digest.update(self.q.as_bytes());
        digest.update([0, u8::from(self.order == SearchOrder::Recent)]);
        digest.update(self.chat_id.unwrap_or(-1).to_be_bytes());
        digest.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
    }

    /// `cursor`, sealed for this search.
    pub fn seal(&self, keys: &Keys, cursor: Cursor) -> Result<String> {
        let sealed = Sealed { s: self.fingerprint(), c: cursor.encode(self.order) };
        Ok(keys.seal(Purpose::SearchCursor, &sealed, TTL)?)
    }

    /// The cursor `text` carries, if this server sealed it for this search within the hour;
    /// 422 otherwise.
    pub fn unseal(&self, keys: &Keys, text: &str) -> Result<Cursor> {
        let refused = || {
            AppError::Unprocessable(
                "before must be a next_cursor this search gave out (the same words, order and chat, within the hour)"
                    .into(),
            )
        };
        let sealed: Sealed = keys.open(Purpose::SearchCursor, text).ok_or_else(refused)?;
        if sealed.s != self.fingerprint() {
            return Err(refused());
        }
        Cursor::decode(&sealed.c, self.order).map_err(|_| refused())
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Sealed {
    /// The search's fingerprint.
    s: String,
    /// The cursor, encoded.
    c: String,
}

/// Where a page starts: after the last result of the previous one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Cursor {
    /// Whether the search matched words as prefixes (see [`super::search`]).
    pub prefix: bool,
    pub rank: f32,
    pub id: i64,
    /// `order=relevance`: the newest message of the window it ranks (see [`super::sql`]).
    pub top: Option<i64>,
}

impl Cursor {
    pub fn encode(self, order: SearchOrder) -> String {
        let mode = if self.prefix { 'p' } else { 'w' };
        match order {
            SearchOrder::Relevance => format!("{mode}{}_{}_{}", self.rank, self.id, self.top.unwrap_or(self.id)),
            SearchOrder::Recent => format!("{mode}{}", self.id),
        }
    }

    pub fn decode(text: &str, order: SearchOrder) -> Result<Self> {
        let mode = match text.chars().next() {
            Some('p') => Some(true),
            Some('w') => Some(false),
            _ => None,
        };
        let rest = text.get(1..).unwrap_or_default();
        let parsed = mode.and_then(|prefix| match order {
            SearchOrder::Relevance => {
                let mut parts = rest.split('_');
                let (rank, id, top) = (parts.next()?, parts.next()?, parts.next()?);
                let cursor =
                    Self { prefix, rank: rank.parse().ok()?, id: id.parse().ok()?, top: Some(top.parse().ok()?) };
                (parts.next().is_none() && cursor.rank.is_finite()).then_some(cursor)
            }
            SearchOrder::Recent => rest.parse().ok().map(|id| Self { prefix, rank: 0.0, id, top: None }),
        });
        parsed.ok_or_else(|| {
            AppError::Unprocessable(format!(
                "before must be a next_cursor this search gave out (for the same order), not {text:?}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_comes_back_as_it_was_given_and_nothing_else_passes() {
        for prefix in [false, true] {
            let cursor = Cursor { prefix, rank: 0.060_792_7, id: 42, top: Some(97) };
            let text = cursor.encode(SearchOrder::Relevance);
            assert_eq!(Cursor::decode(&text, SearchOrder::Relevance).expect("a valid test value"), cursor);
            let text = cursor.encode(SearchOrder::Recent);
            assert_eq!(Cursor::decode(&text, SearchOrder::Recent).expect("a valid test value").id, 42);
        }
        assert_eq!(Cursor::decode("w42", SearchOrder::Recent).expect("a valid test value").id, 42);
        for bad in [
            "", "x", "0.1_4", "w0.1", "wNaN_4", "pinf_4", "w0.1_x", "w1_2", "w1_2_x", "w1_2_3_4", "q0.1_4_5", "w\u{e9}",
        ] {
            assert!(Cursor::decode(bad, SearchOrder::Relevance).is_err(), "{bad}");
        }
        assert_eq!(Cursor::decode("w1_2_3", SearchOrder::Relevance).expect("a valid test value").top, Some(3));
        assert!(Cursor::decode("w0.1_4_5", SearchOrder::Recent).is_err());
        assert!(Cursor::decode("42", SearchOrder::Recent).is_err());
    }
}

//! Reactions as history, exports and the event stream show them: per emoji, how many and who.

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

/// A message's reactions of one emoji, as history shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reaction {
    /// One of the eight a message may get (see `PUT /api/messages/{id}/reactions/{emoji}`).
    pub emoji: String,
    /// How many people reacted so (`user_ids`' length).
    pub count: i64,
    /// Who, in the order they reacted.
    pub user_ids: Vec<i64>,
}

/// Keeps of `reactions` the people a reader may be named (`names`: a guardian reading only their
/// child's messages of a group is named the child alone), and the emojis someone is left on.
pub fn named_for(reactions: &mut Vec<Reaction>, names: impl Fn(i64) -> bool) {
    for reaction in reactions.iter_mut() {
        reaction.user_ids.retain(|user| names(*user));
        reaction.count = reaction.user_ids.len() as i64;
    }
    reactions.retain(|reaction| reaction.count > 0);
}

/// A message's reactions of one emoji with the people's names, as `message_reactions_of()`
/// reads them (history drops the names: a client knows the members; an export keeps them).
#[derive(Debug, Clone, Deserialize)]
pub struct Reacted {
    pub emoji: String,
    pub user_ids: Vec<i64>,
    pub names: Vec<String>,
}

impl Reacted {
    /// The reactions in `column` of a row (`message_reactions_of(m.id)`'s `reactions`).
    pub fn list_from_row(row: &Row, column: &str) -> Result<Vec<Self>, tokio_postgres::Error> {
        let list: Option<postgres_types::Json<Vec<Self>>> = row.try_get(column)?;
        Ok(list.map(|list| list.0).unwrap_or_default())
    }

    /// As history shows it.
    pub fn shown(self) -> Reaction {
        Reaction { emoji: self.emoji, count: self.user_ids.len() as i64, user_ids: self.user_ids }
    }
}

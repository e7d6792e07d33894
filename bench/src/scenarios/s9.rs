//! S9: what flagging costs the write path. S1 on this build twice, rounds alternating: with the
//! school's list of flag terms filled ([`TERMS`]: twenty words and phrases of the kind a school
//! lists, none of which S1's messages contain, as almost every real message does not), so the
//! flagger reads every message the log takes and matches it against the list; and with the
//! list empty, when it only moves its cursor. The target: a loss of at most 5 %.

use std::time::Duration;

use super::{Server, WriteCost};
use crate::rounds::Rounds;

/// The school's list for the "with" rounds.
pub const TERMS: &str =
    "INSERT INTO flag_terms (term, query) SELECT t, websearch_to_tsquery('russian', t) FROM unnest(ARRAY[
    'встретиться or встречаться', '\"не говори родителям\"', 'фото', 'адрес', 'телефон', 'секрет', 'никому',
    'один дома', 'подарок', 'деньги', 'приезжай', 'личное', 'telegram', 'whatsapp', 'instagram', 'secret',
    'meet', 'photo', 'address', '\"don''t tell\"']) t";

pub async fn s9(this: &Server, repeat: usize, run: Duration, senders: &[usize]) -> anyhow::Result<(WriteCost, Rounds)> {
    super::write_cost(this, repeat, run, senders, ("with flag terms", &[TERMS]), ("no flag terms", &[])).await
}

//! The search's statements: the words' matches among the messages the searcher may read, by
//! relevance or by recency, and the typo fallback (see [`super::search`] for how they are run).

use std::sync::LazyLock;

use super::SearchOrder;
use crate::api::history::messages_sql;

/// A typo search looks at this many of the newest messages the searcher may read. Comparing
/// is its cost: about 12 µs a message on one core (S8), whatever the searcher's chats.
const FUZZY_WINDOW: i64 = 1_000;

/// How many of the newest matches `order=relevance` ranks: its results are these, best first.
/// Ranking every match would read every matching row (a common word is in a quarter of all
/// messages: seconds for an admin at S8's size); the newest thousand are what people look for,
/// and `order=recent` reaches every match.
pub const RANKED: i64 = 1_000;

/// The messages matching search $1, as history rows plus `rank`, `top` and `snippet`. $2 the
/// searcher (NULL: an admin, who reads everything), $3 a chat (or NULL), $4 whether words
/// match as prefixes, $5 one more than the page, $6 the cursor's id (NULL: the first page);
/// relevance only: $7 the cursor's rank, $8 the newest message of the ranked window (NULL: the
/// first page, whose window is the newest [`RANKED`] matches; later pages keep its top, so
/// messages arriving between pages do not move it).
///
/// The query is `search_query($1, $4)` written out at each use, not computed once in a CTE:
/// the function is immutable, so the planner folds it into a constant and estimates how
/// common the words are (an admin's common word: the newest messages, read backwards until
/// enough match; a rare one: the index; a participant's, see [`newest`]). The server plans
/// each search for its arguments (see [`search`]).
fn found_sql(order: SearchOrder, admin: bool) -> String {
    let matching = "numnode(search_query($1, $4)) > 0 AND m.search @@ search_query($1, $4)";
    let (found, order_by) = match order {
        SearchOrder::Relevance => (
            format!(
                "SELECT id, rank, top FROM (
                     SELECT w.id, ts_rank(w.search, search_query($1, $4)) AS rank, max(w.id) OVER () AS top
                     FROM (SELECT id, search FROM {} w ORDER BY id DESC LIMIT {RANKED}) w
                 ) w
                 WHERE $6::bigint IS NULL OR rank < $7::real OR (rank = $7 AND id < $6)
                 ORDER BY rank DESC, id DESC LIMIT $5",
                newest(
                    admin,
                    &format!("{matching} AND ($8::bigint IS NULL OR m.id <= $8)"),
                    &RANKED.to_string(),
                    "m.id, m.search"
                )
            ),
            "f.rank DESC, m.id DESC",
        ),
        SearchOrder::Recent => (
            format!(
                "SELECT id, 0::real AS rank, NULL::bigint AS top FROM {} w ORDER BY id DESC LIMIT $5",
                newest(admin, &format!("{matching} AND ($6::bigint IS NULL OR m.id < $6)"), "$5", "m.id")
            ),
            "m.id DESC",
        ),
    };
    format!(
        "WITH found AS ({found})
         {}",
        messages_sql(
            "m.chat_id",
            ", f.rank, f.top,
             translate(ts_headline('russian'::regconfig,
                                   translate(m.content, '<>' || chr(57344) || chr(57345), chr(57346) || chr(57347)),
                                   search_query($1, $4),
                                   'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || CASE
                                       WHEN length(m.content) <= 300 THEN ', HighlightAll=true'
                                       ELSE ', MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=\" … \"' END),
                       chr(57346) || chr(57347), '<>') AS snippet",
            &format!("JOIN found f ON f.id = m.id ORDER BY {order_by}"),
        )
    )
}

/// The statements, by whether the searcher is an admin.
pub(super) static RELEVANCE_SQL: LazyLock<[String; 2]> =
    LazyLock::new(|| [false, true].map(|admin| found_sql(SearchOrder::Relevance, admin)));
pub(super) static RECENT_SQL: LazyLock<[String; 2]> =
    LazyLock::new(|| [false, true].map(|admin| found_sql(SearchOrder::Recent, admin)));

/// Messages with a word like the one-word query $1 (a typo: trigram similarity of at least
/// $4), among the [`FUZZY_WINDOW`] newest of the searcher's chats (an admin: of all), those
/// they may read; $5 of them at most; $2 and $3 as in [`found_sql`] (one page only).
pub(super) static FUZZY_SQL: LazyLock<[String; 2]> = LazyLock::new(|| [false, true].map(fuzzy_sql));

fn fuzzy_sql(admin: bool) -> String {
    format!(
        "WITH found AS (
             SELECT id, rank FROM (
                 SELECT w.id, word_similarity($1, w.content) AS rank
                 FROM (SELECT id, content FROM {} w ORDER BY id DESC LIMIT {FUZZY_WINDOW}) w
             ) s
             WHERE rank >= $4
             ORDER BY rank DESC, id DESC LIMIT $5
         )
         {}",
        newest(admin, "true", &FUZZY_WINDOW.to_string(), "m.id, m.content"),
        messages_sql(
            "m.chat_id",
            ", f.rank, (SELECT string_agg(CASE WHEN w.t[1] IS NOT NULL AND similarity(w.t[1], $1) >= $4
                                              THEN chr(57344) || w.t[1] || chr(57345)
                                              ELSE coalesce(w.t[1], w.t[2]) END, '' ORDER BY w.n)
                        FROM regexp_matches(left(translate(m.content, chr(57344) || chr(57345), ''), 300),
                                            '(\\w+)|(\\W+)', 'g') WITH ORDINALITY AS w(t, n)) AS snippet",
            "JOIN found f ON f.id = m.id ORDER BY f.rank DESC, m.id DESC",
        )
    )
}

/// A subquery of `columns` (of `m`, `m.id` among them): the newest `k` messages satisfying
/// `filter` that the searcher may read, in no order and possibly with older ones (the caller
/// orders by id and keeps `k`). Searchable messages only: not deleted, hidden or purged.
/// Within chat `$3` when it is not NULL.
///
/// An admin's (`$2` NULL) are every chat's: the planner either reads the newest messages
/// backwards until `k` satisfy `filter` or takes them from the index.
///
/// A participant's (`$2`) are those of their chats posted while they were members (see
/// docs/search.md), found in two steps so that a common word costs the chats it is in
/// recently, not all of theirs. First, any `k` of them, from their chats in the order of
/// their newest message, each chat looked up in the index, stopping at `k`: all there are when
/// fewer. When that reached `k`, the oldest of them bounds the newest `k` from below (there
/// are `k` at least as new), and a chat whose newest message (`chats.last_message_id`, the
/// newest not deleted, kept by the log's trigger) is older cannot hold one of them; then,
/// second, the messages from that bound on of the chats with a message since.
fn newest(admin: bool, filter: &str, k: &str, columns: &str) -> String {
    let searchable = "NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL";
    if admin {
        return format!(
            "(SELECT {columns} FROM messages m
              WHERE $2::bigint IS NULL AND ($3::bigint IS NULL OR m.chat_id = $3) AND {searchable} AND {filter}
              ORDER BY m.id DESC LIMIT {k})"
        );
    }
    let member = "m.chat_id = p.chat_id AND m.position BETWEEN p.from_position AND p.to_position";
    format!(
        "(WITH mine AS MATERIALIZED (
              SELECT p.chat_id, p.from_position, coalesce(p.to_position, 9223372036854775807) AS to_position, c.last_message_id
              FROM chat_memberships p JOIN chats c ON c.id = p.chat_id
              WHERE p.user_id = $2 AND ($3::bigint IS NULL OR p.chat_id = $3)),
          any_k AS MATERIALIZED (
              SELECT m.* FROM (SELECT * FROM mine ORDER BY last_message_id DESC NULLS LAST) p
              CROSS JOIN LATERAL (SELECT {columns} FROM messages m WHERE {member} AND {searchable} AND {filter}) m
              LIMIT {k}),
          bound AS MATERIALIZED (SELECT CASE WHEN count(*) >= {k} THEN min(id) END AS id FROM any_k)
      SELECT * FROM any_k WHERE (SELECT id FROM bound) IS NULL
      UNION ALL
      SELECT {columns} FROM mine p JOIN messages m ON {member}
      WHERE p.last_message_id >= (SELECT id FROM bound) AND m.id >= (SELECT id FROM bound) AND {searchable} AND {filter})"
    )
}

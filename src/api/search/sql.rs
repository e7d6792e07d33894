//! The search's statements: the words' matches among the messages the searcher may read, by
//! relevance or by recency, and the typo fallback (see [`super::search`] for how they are run).
//! Each is written out whole, once for a participant and once for an admin, so that it can be
//! pasted into psql with its parameters.
//!
//! The parameters: $1 the query, $2 the searcher (NULL: an admin, who reads everything), $3 a
//! chat (or NULL), $4 whether words match as prefixes (the typo search: the least similarity),
//! $5 one more than the page, $6 the cursor's id (NULL: the first page); relevance only: $7
//! the cursor's rank, $8 the newest message of the ranked window (NULL: the first page, whose
//! window is the newest 1,000 matches; later pages keep its top, so messages arriving between
//! pages do not move it); last, whether a guardian reads their children's groups
//! (`GUARDIAN_GROUPS`: $9 by relevance, $7 by recency, $6 for typos). Each answers history rows (the `message_views` view with the read
//! markers) plus `rank`, `top` and `snippet`.
//!
//! **`candidates`**: the newest messages the searcher may read that match, in no order and
//! possibly with older ones (the statement orders by id and keeps the newest). Searchable
//! messages only: not deleted, hidden or purged. Within chat $3 when it is not NULL.
//!
//! - An admin's are every chat's: the planner either reads the newest messages backwards until
//!   enough match or takes them from the index.
//! - A participant's are those of their chats posted while they were members (see
//!   docs/search.md); a guardian's, what `guardian_reading()` lets them read (their children's
//!   direct chats from the link on, and in groups only the child's own messages: `author`).
//!   Found in two steps so that a common word costs the chats it is in
//!   recently, not all of theirs. First (`any_k`), any k of them (k: 1,000, or the page), from
//!   their chats in the order of their newest message, each chat looked up in the index,
//!   stopping at k: all there are when fewer. When that reached k, the oldest of them bounds the
//!   newest k from below (there are k at least as new), and a chat whose newest message
//!   (`chats.last_message_id`, the newest not deleted, kept by the log's trigger) is older
//!   cannot hold one of them; then, second, the messages from that bound on of the chats with a
//!   message since.
//!
//! **Ranking**: `order=relevance` ranks the newest 1,000 matches, best first. Ranking every
//! match would read every matching row (a common word is in a quarter of all messages: seconds
//! for an admin at S8's size); the newest thousand are what people look for, and
//! `order=recent` reaches every match. A typo search compares the one-word query with the
//! 1,000 newest messages the searcher may read (trigram word similarity of at least $4):
//! comparing is its cost, about 12 µs a message on one core (S8), whatever the searcher's chats.
//!
//! **Planning**: `search_query($1, $4)` is written out at each use, not computed once in a CTE:
//! the function is immutable, so the planner folds it into a constant and estimates how common
//! the words are (an admin's common word: the newest messages, read backwards until enough
//! match; a rare one: the index). The server plans each search for its arguments.

/// `order=relevance`, a participant's and an admin's.
pub(super) const RELEVANCE_SQL: [&str; 2] = [
    r#"
    WITH mine AS MATERIALIZED (
             SELECT p.chat_id, p.from_position, coalesce(p.to_position, 9223372036854775807) AS to_position,
                    NULL::bigint AS author, c.last_message_id
             FROM chat_memberships p JOIN chats c ON c.id = p.chat_id
             WHERE p.user_id = $2 AND ($3::bigint IS NULL OR p.chat_id = $3)
             UNION ALL
             SELECT r.chat_id, r.from_position, coalesce(r.to_position, 9223372036854775807),
                    CASE WHEN r.own_only THEN r.student_id END, c.last_message_id
             FROM guardian_reading($2, $9) r JOIN chats c ON c.id = r.chat_id
             WHERE $3::bigint IS NULL OR r.chat_id = $3),
         any_k AS MATERIALIZED (
             SELECT m.* FROM (SELECT * FROM mine ORDER BY last_message_id DESC NULLS LAST) p
             CROSS JOIN LATERAL (
                 SELECT m.id, m.search FROM messages m
                 WHERE m.chat_id = p.chat_id AND m.position BETWEEN p.from_position AND p.to_position
                   AND (p.author IS NULL OR m.sender_id = p.author)
                   AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
                   AND numnode(search_query($1, $4)) > 0 AND m.search @@ search_query($1, $4) AND ($8::bigint IS NULL OR m.id <= $8)) m
             LIMIT 1000),
         bound AS MATERIALIZED (SELECT CASE WHEN count(*) >= 1000 THEN min(id) END AS id FROM any_k),
         candidates AS (
             SELECT * FROM any_k WHERE (SELECT id FROM bound) IS NULL
             UNION ALL
             SELECT m.id, m.search FROM mine p
             JOIN messages m ON m.chat_id = p.chat_id AND m.position BETWEEN p.from_position AND p.to_position
                   AND (p.author IS NULL OR m.sender_id = p.author)
             WHERE p.last_message_id >= (SELECT id FROM bound) AND m.id >= (SELECT id FROM bound)
               AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
               AND numnode(search_query($1, $4)) > 0 AND m.search @@ search_query($1, $4) AND ($8::bigint IS NULL OR m.id <= $8)),
         found AS (
             SELECT id, rank, top FROM (
                 SELECT w.id, ts_rank(w.search, search_query($1, $4)) AS rank, max(w.id) OVER () AS top
                 FROM (SELECT id, search FROM candidates ORDER BY id DESC LIMIT 1000) w
             ) w
             WHERE $6::bigint IS NULL OR rank < $7::real OR (rank = $7 AND id < $6)
             ORDER BY rank DESC, id DESC LIMIT $5)
    SELECT m.*, r.readers, r.markers, x.reactions, f.rank, f.top,
           translate(ts_headline('russian'::regconfig,
                                 translate(m.content, '<>' || chr(57344) || chr(57345), chr(57346) || chr(57347)),
                                 search_query($1, $4),
                                 'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || CASE
                                     WHEN length(m.content) <= 300 THEN ', HighlightAll=true'
                                     ELSE ', MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "' END),
                     chr(57346) || chr(57347), '<>') AS snippet
    FROM found f JOIN message_views m ON m.id = f.id CROSS JOIN LATERAL chat_read_markers(m.chat_id) r
    CROSS JOIN LATERAL message_reactions_of(m.id) x
    ORDER BY f.rank DESC, m.id DESC"#,
    r#"
    WITH candidates AS (
             SELECT m.id, m.search FROM messages m
             WHERE $2::bigint IS NULL AND ($3::bigint IS NULL OR m.chat_id = $3)
               AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
               AND numnode(search_query($1, $4)) > 0 AND m.search @@ search_query($1, $4) AND ($8::bigint IS NULL OR m.id <= $8)
             ORDER BY m.id DESC LIMIT 1000),
         found AS (
             SELECT id, rank, top FROM (
                 SELECT w.id, ts_rank(w.search, search_query($1, $4)) AS rank, max(w.id) OVER () AS top
                 FROM (SELECT id, search FROM candidates ORDER BY id DESC LIMIT 1000) w
             ) w
             WHERE $6::bigint IS NULL OR rank < $7::real OR (rank = $7 AND id < $6)
             ORDER BY rank DESC, id DESC LIMIT $5)
    SELECT m.*, r.readers, r.markers, x.reactions, f.rank, f.top,
           translate(ts_headline('russian'::regconfig,
                                 translate(m.content, '<>' || chr(57344) || chr(57345), chr(57346) || chr(57347)),
                                 search_query($1, $4),
                                 'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || CASE
                                     WHEN length(m.content) <= 300 THEN ', HighlightAll=true'
                                     ELSE ', MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "' END),
                     chr(57346) || chr(57347), '<>') AS snippet
    FROM found f JOIN message_views m ON m.id = f.id CROSS JOIN LATERAL chat_read_markers(m.chat_id) r
    CROSS JOIN LATERAL message_reactions_of(m.id) x
    ORDER BY f.rank DESC, m.id DESC"#,
];

/// `order=recent`, a participant's and an admin's.
pub(super) const RECENT_SQL: [&str; 2] = [
    r#"
    WITH mine AS MATERIALIZED (
             SELECT p.chat_id, p.from_position, coalesce(p.to_position, 9223372036854775807) AS to_position,
                    NULL::bigint AS author, c.last_message_id
             FROM chat_memberships p JOIN chats c ON c.id = p.chat_id
             WHERE p.user_id = $2 AND ($3::bigint IS NULL OR p.chat_id = $3)
             UNION ALL
             SELECT r.chat_id, r.from_position, coalesce(r.to_position, 9223372036854775807),
                    CASE WHEN r.own_only THEN r.student_id END, c.last_message_id
             FROM guardian_reading($2, $7) r JOIN chats c ON c.id = r.chat_id
             WHERE $3::bigint IS NULL OR r.chat_id = $3),
         any_k AS MATERIALIZED (
             SELECT m.* FROM (SELECT * FROM mine ORDER BY last_message_id DESC NULLS LAST) p
             CROSS JOIN LATERAL (
                 SELECT m.id FROM messages m
                 WHERE m.chat_id = p.chat_id AND m.position BETWEEN p.from_position AND p.to_position
                   AND (p.author IS NULL OR m.sender_id = p.author)
                   AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
                   AND numnode(search_query($1, $4)) > 0 AND m.search @@ search_query($1, $4) AND ($6::bigint IS NULL OR m.id < $6)) m
             LIMIT $5),
         bound AS MATERIALIZED (SELECT CASE WHEN count(*) >= $5 THEN min(id) END AS id FROM any_k),
         candidates AS (
             SELECT * FROM any_k WHERE (SELECT id FROM bound) IS NULL
             UNION ALL
             SELECT m.id FROM mine p
             JOIN messages m ON m.chat_id = p.chat_id AND m.position BETWEEN p.from_position AND p.to_position
                   AND (p.author IS NULL OR m.sender_id = p.author)
             WHERE p.last_message_id >= (SELECT id FROM bound) AND m.id >= (SELECT id FROM bound)
               AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
               AND numnode(search_query($1, $4)) > 0 AND m.search @@ search_query($1, $4) AND ($6::bigint IS NULL OR m.id < $6)),
         found AS (SELECT id, 0::real AS rank, NULL::bigint AS top FROM candidates ORDER BY id DESC LIMIT $5)
    SELECT m.*, r.readers, r.markers, x.reactions, f.rank, f.top,
           translate(ts_headline('russian'::regconfig,
                                 translate(m.content, '<>' || chr(57344) || chr(57345), chr(57346) || chr(57347)),
                                 search_query($1, $4),
                                 'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || CASE
                                     WHEN length(m.content) <= 300 THEN ', HighlightAll=true'
                                     ELSE ', MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "' END),
                     chr(57346) || chr(57347), '<>') AS snippet
    FROM found f JOIN message_views m ON m.id = f.id CROSS JOIN LATERAL chat_read_markers(m.chat_id) r
    CROSS JOIN LATERAL message_reactions_of(m.id) x
    ORDER BY m.id DESC"#,
    r#"
    WITH candidates AS (
             SELECT m.id FROM messages m
             WHERE $2::bigint IS NULL AND ($3::bigint IS NULL OR m.chat_id = $3)
               AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
               AND numnode(search_query($1, $4)) > 0 AND m.search @@ search_query($1, $4) AND ($6::bigint IS NULL OR m.id < $6)
             ORDER BY m.id DESC LIMIT $5),
         found AS (SELECT id, 0::real AS rank, NULL::bigint AS top FROM candidates ORDER BY id DESC LIMIT $5)
    SELECT m.*, r.readers, r.markers, x.reactions, f.rank, f.top,
           translate(ts_headline('russian'::regconfig,
                                 translate(m.content, '<>' || chr(57344) || chr(57345), chr(57346) || chr(57347)),
                                 search_query($1, $4),
                                 'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || CASE
                                     WHEN length(m.content) <= 300 THEN ', HighlightAll=true'
                                     ELSE ', MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "' END),
                     chr(57346) || chr(57347), '<>') AS snippet
    FROM found f JOIN message_views m ON m.id = f.id CROSS JOIN LATERAL chat_read_markers(m.chat_id) r
    CROSS JOIN LATERAL message_reactions_of(m.id) x
    ORDER BY m.id DESC"#,
];

/// The typo fallback (one page only), a participant's and an admin's.
pub(super) const FUZZY_SQL: [&str; 2] = [
    r#"
    WITH mine AS MATERIALIZED (
             SELECT p.chat_id, p.from_position, coalesce(p.to_position, 9223372036854775807) AS to_position,
                    NULL::bigint AS author, c.last_message_id
             FROM chat_memberships p JOIN chats c ON c.id = p.chat_id
             WHERE p.user_id = $2 AND ($3::bigint IS NULL OR p.chat_id = $3)
             UNION ALL
             SELECT r.chat_id, r.from_position, coalesce(r.to_position, 9223372036854775807),
                    CASE WHEN r.own_only THEN r.student_id END, c.last_message_id
             FROM guardian_reading($2, $6) r JOIN chats c ON c.id = r.chat_id
             WHERE $3::bigint IS NULL OR r.chat_id = $3),
         any_k AS MATERIALIZED (
             SELECT m.* FROM (SELECT * FROM mine ORDER BY last_message_id DESC NULLS LAST) p
             CROSS JOIN LATERAL (
                 SELECT m.id, m.content FROM messages m
                 WHERE m.chat_id = p.chat_id AND m.position BETWEEN p.from_position AND p.to_position
                   AND (p.author IS NULL OR m.sender_id = p.author)
                   AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
                   AND true) m
             LIMIT 1000),
         bound AS MATERIALIZED (SELECT CASE WHEN count(*) >= 1000 THEN min(id) END AS id FROM any_k),
         candidates AS (
             SELECT * FROM any_k WHERE (SELECT id FROM bound) IS NULL
             UNION ALL
             SELECT m.id, m.content FROM mine p
             JOIN messages m ON m.chat_id = p.chat_id AND m.position BETWEEN p.from_position AND p.to_position
                   AND (p.author IS NULL OR m.sender_id = p.author)
             WHERE p.last_message_id >= (SELECT id FROM bound) AND m.id >= (SELECT id FROM bound)
               AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
               AND true),
         found AS (
             SELECT id, rank FROM (
                 SELECT w.id, word_similarity($1, w.content) AS rank
                 FROM (SELECT id, content FROM candidates ORDER BY id DESC LIMIT 1000) w
             ) s
             WHERE rank >= $4
             ORDER BY rank DESC, id DESC LIMIT $5)
    SELECT m.*, r.readers, r.markers, x.reactions, f.rank,
           (SELECT string_agg(CASE WHEN w.t[1] IS NOT NULL AND similarity(w.t[1], $1) >= $4
                                   THEN chr(57344) || w.t[1] || chr(57345)
                                   ELSE coalesce(w.t[1], w.t[2]) END, '' ORDER BY w.n)
            FROM regexp_matches(left(translate(m.content, chr(57344) || chr(57345), ''), 300),
                                '(\w+)|(\W+)', 'g') WITH ORDINALITY AS w(t, n)) AS snippet
    FROM found f JOIN message_views m ON m.id = f.id CROSS JOIN LATERAL chat_read_markers(m.chat_id) r
    CROSS JOIN LATERAL message_reactions_of(m.id) x
    ORDER BY f.rank DESC, m.id DESC"#,
    r#"
    WITH candidates AS (
             SELECT m.id, m.content FROM messages m
             WHERE $2::bigint IS NULL AND ($3::bigint IS NULL OR m.chat_id = $3)
               AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
               AND true
             ORDER BY m.id DESC LIMIT 1000),
         found AS (
             SELECT id, rank FROM (
                 SELECT w.id, word_similarity($1, w.content) AS rank
                 FROM (SELECT id, content FROM candidates ORDER BY id DESC LIMIT 1000) w
             ) s
             WHERE rank >= $4
             ORDER BY rank DESC, id DESC LIMIT $5)
    SELECT m.*, r.readers, r.markers, x.reactions, f.rank,
           (SELECT string_agg(CASE WHEN w.t[1] IS NOT NULL AND similarity(w.t[1], $1) >= $4
                                   THEN chr(57344) || w.t[1] || chr(57345)
                                   ELSE coalesce(w.t[1], w.t[2]) END, '' ORDER BY w.n)
            FROM regexp_matches(left(translate(m.content, chr(57344) || chr(57345), ''), 300),
                                '(\w+)|(\W+)', 'g') WITH ORDINALITY AS w(t, n)) AS snippet
    FROM found f JOIN message_views m ON m.id = f.id CROSS JOIN LATERAL chat_read_markers(m.chat_id) r
    CROSS JOIN LATERAL message_reactions_of(m.id) x
    ORDER BY f.rank DESC, m.id DESC"#,
];

/// The statements by the kind of search, for the benchmark's plans (S8): by relevance, a
/// participant's and an admin's, and the typo fallback's.
pub const STATEMENTS: [(&str, &str); 4] = [
    ("participant", RELEVANCE_SQL[0]),
    ("admin", RELEVANCE_SQL[1]),
    ("participant typo", FUZZY_SQL[0]),
    ("admin typo", FUZZY_SQL[1]),
];

//! The plans of the server's own search statements, as a session of the server gets them.

use tokio_postgres::Client;

use super::QueryPlan;
use super::queries::Request;

/// The typo search's similarity threshold, as the server passes it (`FUZZY_THRESHOLD` in
/// src/api/search.rs): only the plans use it.
const FUZZY_THRESHOLD: f32 = 0.4;

/// The server's search statements by kind (literal SQL, `tutorchat::api::SEARCH_STATEMENTS`).
pub(super) fn statements() -> Vec<(&'static str, String)> {
    tutorchat::api::SEARCH_STATEMENTS.iter().map(|(kind, text)| (*kind, (*text).to_owned())).collect()
}

/// The plans of the server's statements for: a teacher's common word, a student's rare one
/// (and, where the server tries words as prefixes when whole words found less than a page, that
/// second statement), the admin's common and rare words, a teacher's typo and the admin's, each
/// planned for its arguments, as the server plans every search.
pub(super) async fn explain_all(
    sql: &Client,
    statements: &[(&str, String)],
    sets: &[(&str, &str, Vec<Request>)],
) -> anyhow::Result<Vec<QueryPlan>> {
    let set = |query: &str, searcher: &str| {
        sets.iter().find(|(q, s, _)| *q == query && *s == searcher).map(|(_, _, r)| r.as_slice()).unwrap_or_default()
    };
    let mut plans = Vec::new();
    for (query, searcher, prefix, what) in [
        ("common", "teacher", false, "a teacher (500 chats) searches for the common word"),
        ("rare", "student", false, "a student searches for a rare word"),
        ("rare", "student", true, "the same as prefixes (the server's second try, when whole words find nothing)"),
        ("common", "admin", false, "the admin searches for the common word"),
        ("rare", "admin", false, "the admin searches for a rare word"),
        ("typo", "teacher", false, "a teacher's typo: the trigram fallback (once the words found nothing)"),
        ("typo", "admin", false, "the admin's typo: the trigram fallback"),
    ] {
        let kind = match (query, searcher) {
            ("typo", "admin") => "admin typo",
            ("typo", _) => "participant typo",
            (_, "admin") => "admin",
            _ => "participant",
        };
        let (Some(request), Some((_, text))) =
            (set(query, searcher).first(), statements.iter().find(|(k, _)| *k == kind))
        else {
            eprintln!("S8: no plan of {query} as {searcher}: no request of that set");
            continue;
        };
        let typo = query == "typo";
        let target = arguments(request, typo, prefix);
        // The server plans each search for its arguments (a statement prepared per request),
        // so nothing runs before the plan is taken.
        match explain_prepared(sql, text, &[], &target, false).await {
            Ok((plan, generic)) => {
                let custom_ms = if generic {
                    explain_prepared(sql, text, &[], &target, true).await.ok().and_then(|(p, _)| execution_ms(&p))
                } else {
                    None
                };
                eprintln!(
                    "S8: plan of {query} as {searcher}{}: {} plan{}",
                    if prefix { ", as prefixes" } else { "" },
                    if generic { "generic" } else { "custom" },
                    custom_ms.map(|ms| format!(" (planned for its arguments: {ms:.1} ms)")).unwrap_or_default()
                );
                plans.push(QueryPlan { what: format!("{what} («{}»)", request.word), plan, generic, custom_ms });
            }
            Err(e) => eprintln!("S8: EXPLAIN of {query} as {searcher}: {e:#}"),
        }
    }
    Ok(plans)
}

/// The server's arguments for `request`, as SQL literals, in its statements' order: the words,
/// the searcher (NULL: the admin), no chat, whether words match as prefixes, a page of 20 (one
/// more, to know of a next page), no cursor (nor, by relevance, its rank and window); a typo
/// search takes the similarity threshold and the page itself; a participant's, last, whether a
/// guardian reads groups.
fn arguments(request: &Request, typo: bool, prefix: bool) -> String {
    let word = format!("'{}'", request.word.replace('\'', "''"));
    let user = request.searcher.id.map_or("NULL".to_owned(), |id| id.to_string());
    // A participant's statements also take whether a guardian reads groups (no one here is).
    let groups = if request.searcher.id.is_some() { ", false" } else { "" };
    if typo {
        format!("{word}, {user}, NULL, {FUZZY_THRESHOLD}, 20{groups}")
    } else {
        format!("{word}, {user}, NULL, {prefix}, 21, NULL, NULL, NULL{groups}")
    }
}

/// `text`'s plan for `target` (arguments as SQL literals) as a session of the server gets it:
/// the server prepares each statement once per pooled connection, and PostgreSQL plans a
/// prepared statement's first five executions for their arguments, then keeps a generic plan
/// if its estimate is no worse than theirs. So: prepared, executed for each of `history`,
/// then `EXPLAIN (ANALYZE, BUFFERS) EXECUTE`, under the replicas' session settings. Also
/// whether that plan was the generic one (`pg_prepared_statements`). With `custom`, planned
/// for its arguments whatever came before (`plan_cache_mode = force_custom_plan`).
async fn explain_prepared(
    sql: &Client,
    text: &str,
    history: &[String],
    target: &str,
    custom: bool,
) -> anyhow::Result<(String, bool)> {
    for (name, value) in tutorchat::db::SESSION_SETTINGS {
        sql.batch_execute(&format!("SET {name} = {value}")).await?;
    }
    let mode = if custom { "force_custom_plan" } else { "auto" };
    sql.batch_execute(&format!("SET plan_cache_mode = {mode}; DEALLOCATE ALL")).await?;
    sql.batch_execute(&format!("PREPARE s8_plan AS {text}")).await?;
    for arguments in history {
        sql.batch_execute(&format!("EXECUTE s8_plan({arguments})")).await?;
    }
    let generic = "SELECT generic_plans FROM pg_prepared_statements WHERE name = 's8_plan'";
    let before: i64 = sql.query_one(generic, &[]).await?.get(0);
    let rows = sql.query(&format!("EXPLAIN (ANALYZE, BUFFERS) EXECUTE s8_plan({target})"), &[]).await?;
    let after: i64 = sql.query_one(generic, &[]).await?.get(0);
    sql.batch_execute("DEALLOCATE s8_plan; RESET plan_cache_mode").await?;
    let plan = rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n");
    Ok((plan, after > before))
}

/// "Execution Time: 12.345 ms" of a plan, in ms.
pub fn execution_ms(plan: &str) -> Option<f64> {
    plan.lines().find_map(|l| l.trim().strip_prefix("Execution Time: ")?.strip_suffix(" ms")?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::s8::queries::Searcher;

    #[test]
    fn the_execution_time_is_read_from_the_plans_last_lines() {
        let plan = "Limit  (cost=1..2 rows=1)\nPlanning Time: 1.328 ms\nExecution Time: 10.238 ms";
        assert_eq!(execution_ms(plan), Some(10.238));
        assert_eq!(execution_ms("Limit"), None);
    }

    #[test]
    fn a_requests_arguments_are_sql_literals_in_the_servers_order() {
        let request = |id, word: &str| Request { searcher: Searcher { id, token: String::new() }, word: word.into() };
        assert_eq!(
            arguments(&request(Some(7), "урок"), false, false),
            "'урок', 7, NULL, false, 21, NULL, NULL, NULL, false"
        );
        assert_eq!(
            arguments(&request(Some(7), "урок"), false, true),
            "'урок', 7, NULL, true, 21, NULL, NULL, NULL, false"
        );
        assert_eq!(arguments(&request(None, "o'k"), true, false), "'o''k', NULL, NULL, 0.4, 20");
    }
}

//! Statements are literal SQL: none is assembled with `format!` from fragments, so each can be
//! read whole where it runs and pasted into psql. Column lists that several statements share
//! are views (`sql/V28__wire_views.sql`) and set-returning SQL functions PostgreSQL expands in
//! place (`presence_of`, `chat_activity_as_of`, `chat_read_markers`, `log_head`).

use super::sources;

/// Words that make a string a statement (upper case, as this code base writes SQL).
const SQL: [&str; 8] = ["SELECT ", "INSERT INTO ", "UPDATE ", "DELETE FROM ", "FROM ", "JOIN ", "WHERE ", "ORDER BY "];

/// Statements that must name an identifier (a role, a database, a setting's value in
/// `ALTER SYSTEM`), which no statement can take as a parameter: DDL of the development
/// harness and of the runtime role, each quoting what it names.
const NAMES_AN_IDENTIFIER: [&str; 3] = ["CREATE ROLE", "CREATE DATABASE", "ALTER SYSTEM"];

/// The one place whose statements follow a query language's shape, so cannot be literal: the
/// SCIM filter's compiler (an identity provider's `filter` as a `WHERE`, its depth and length
/// bounded by `scim::filter::parse`), where every value is a bound parameter and only the
/// shape is assembled; `scim::lists` checks its every operator against the in-memory filter.
const COMPILES_A_FILTER: &str = "src/scim/query.rs";

#[test]
fn no_statement_is_assembled_with_format() {
    let mut offenders = Vec::new();
    for (path, text) in sources().into_iter().filter(|(path, _)| !path.ends_with(COMPILES_A_FILTER)) {
        for (at, _) in text.match_indices("format!(") {
            let call = invocation(&text[at + "format!".len()..]);
            let template = call.split(',').next().unwrap_or(call);
            if SQL.iter().any(|word| template.contains(word))
                && !NAMES_AN_IDENTIFIER.iter().any(|ddl| template.contains(ddl))
            {
                let line = text[..at].matches('\n').count() + 1;
                offenders.push(format!("{}:{line}", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "statements assembled with format! (write them out, or share a view): {offenders:#?}"
    );
}

/// The text of a macro call from its opening parenthesis to the one that closes it (or to the
/// end: a call this simple reader cannot close is taken whole).
fn invocation(from: &str) -> &str {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in from.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return &from[..=i];
                }
            }
            _ => {}
        }
    }
    from
}

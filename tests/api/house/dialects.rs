//! The dialects (`src/api/dialects/`) translate: each route or frame of a client's contract
//! becomes a call of the core (`crate::api::*`, `crate::access`, `crate::auth`) and the core's
//! answer becomes the contract's shape. Checked by structure, not by phrases: a dialect's code
//! names no statement, no database client and no connection of the pool, and decides nothing
//! by role or by the kind of viewer (those decisions are `src/access/`'s, its rules the core's).

use super::sources;

/// What a dialect's code may not name, and why.
const FORBIDDEN: [(&str, &str); 12] = [
    ("SELECT ", "a statement"),
    ("INSERT INTO ", "a statement"),
    ("UPDATE ", "a statement"),
    ("DELETE FROM ", "a statement"),
    ("tokio_postgres", "the database client"),
    ("GenericClient", "the database client"),
    (".db.get(", "a connection of the pool"),
    ("state.db", "the pool"),
    ("Role::", "a decision by role"),
    (".role", "a decision by role"),
    ("Viewer", "a decision by the kind of viewer"),
    ("viewer(", "a decision by the kind of viewer"),
];

/// The text of a source file without its comments (a doc may say what the code must not do).
fn code(text: &str) -> String {
    text.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_dialect_names_no_statement_no_database_and_no_access_decision() {
    let mut found = Vec::new();
    let dialects: Vec<_> = sources().into_iter().filter(|(path, _)| path.starts_with("src/api/dialects")).collect();
    assert!(dialects.len() >= 12, "the dialects' sources were not found: {}", dialects.len());
    for (path, text) in dialects {
        let code = code(&text);
        for (name, what) in FORBIDDEN {
            if code.contains(name) {
                found.push(format!("{}: {what} ({name:?})", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "a dialect that does more than translate: {found:#?}");
}

//! The shape of the code base, checked: one home per concept. The modules import each other
//! without cycles (nor do a module's files, `siblings`), only `src/log/` touches the `events` table, only `src/config/` reads the
//! environment (and docs/configuration.md is generated from what it declares), statements are
//! literal SQL, the dialects only translate (`dialects`), production code
//! stays apart from the development harness (`dev/`), files stay small, the README stays
//! short and cites nothing outside the repository, and the server does not depend on the
//! benchmark's HTTP client. And the docs cannot drift from the code: docs/api.md's tables
//! from the OpenAPI document (`api_doc`), README's layout from the tree (`layout`), the
//! commands the docs give from the `tutorchat` binary (`commands`).

use std::path::{Path, PathBuf};

mod access;
mod api_doc;
mod commands;
mod dialects;
mod files;
mod layout;
mod modules;
mod siblings;
mod statements;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `.rs` file under `src/`, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((path.strip_prefix(ROOT).expect("under the root").to_owned(), text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(ROOT).join("src"), &mut out);
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "node_modules" || name == "target" || name == "dist" {
            continue;
        }
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The cells of each row of the Markdown tables in `text` (header and rule rows included;
/// an escaped `\|` stays inside its cell).
fn table_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for line in text.lines().filter(|line| line.starts_with('|')) {
        let (mut cells, mut cell, mut escaped) = (Vec::new(), String::new(), false);
        for c in line.chars().skip(1) {
            match c {
                '|' if !escaped => cells.push(std::mem::take(&mut cell).trim().to_owned()),
                _ => cell.push(c),
            }
            escaped = c == '\\';
        }
        rows.push(cells);
    }
    rows
}

/// The code spans of a piece of Markdown (`a` in "see `a`"), in order.
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

//! The shape of the code base, checked: one home per concept. The modules import each other
//! without cycles, only `src/log/` touches the `events` table, only `src/config/` reads the
//! environment (and docs/configuration.md is generated from what it declares), statements are
//! literal SQL, production code
//! stays apart from the development harness (`dev/`), files stay small, the README stays
//! short and cites nothing outside the repository, and the server does not depend on the
//! benchmark's HTTP client.

use std::path::{Path, PathBuf};

mod access;
mod files;
mod modules;
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

//! README's layout tables against the tree: every path they name exists, every top-level module
//! of `src/` is named there, and so is every command of `scripts/`.

use std::collections::BTreeSet;
use std::path::Path;

use super::{ROOT, code_spans, table_rows};

/// What a row's cells name in code spans that reads as a path: `src/api/`, `store.rs`,
/// `compose.yaml`, `Dockerfile` (not `serve [--demo]`, `/`, or a command like `tutorchat-dev
/// topology | schema`).
fn paths_in(cell: &str) -> Vec<&str> {
    code_spans(cell)
        .into_iter()
        .filter(|span| {
            let name = span.trim_end_matches('/');
            !name.is_empty()
                && !span.contains(' ')
                && !span.contains('{') // a pattern, `V{n}__name.sql`
                && (span.ends_with('/') || name.contains('/') || name.contains('.') || *span == "Dockerfile")
        })
        .collect()
}

/// Whether `name` is an entry somewhere under `dir` (at any depth).
fn found_under(dir: &Path, name: &str) -> bool {
    if dir.join(name).exists() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|entry| {
        let skipped = ["node_modules", "target"].iter().any(|s| entry.file_name() == *s);
        entry.path().is_dir() && !skipped && found_under(&entry.path(), name)
    })
}

/// The rows of README's tables whose first cell names a path (the layout).
fn layout_rows(readme: &str) -> Vec<Vec<String>> {
    table_rows(readme)
        .into_iter()
        .filter(|cells| cells.len() >= 2 && !paths_in(&cells[0]).is_empty() && !cells[0].contains('@'))
        .collect()
}

#[test]
fn the_readme_layout_names_every_module_and_script_and_only_paths_that_exist() {
    let root = Path::new(ROOT);
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let rows = layout_rows(&readme);
    assert!(rows.len() > 10, "README.md's layout table was not found ({} rows)", rows.len());
    let mut wrong = Vec::new();
    let mut named: BTreeSet<String> = BTreeSet::new();
    for cells in &rows {
        let places: Vec<&str> = paths_in(&cells[0]);
        for path in &places {
            if root.join(path).exists() {
                named.insert(path.trim_end_matches('/').to_owned());
            } else {
                wrong.push(format!("`{path}`: in README.md's layout, not in the repository"));
            }
        }
        // A path in the description is the repository's (`src/demo.rs`) or one of the row's own
        // (`store.rs` in `src/log/`); `dist/` is the client's build, not in a clone.
        for path in paths_in(&cells[1]).into_iter().filter(|p| *p != "dist/") {
            let relative = path.trim_end_matches('/');
            let exists = root.join(relative).exists()
                || places.iter().any(|place| root.join(place).is_dir() && found_under(&root.join(place), relative));
            if exists {
                named.insert(relative.to_owned());
            } else {
                wrong.push(format!("`{path}` (the row of {}): not in the repository", cells[0]));
            }
        }
    }

    let src = std::fs::read_dir(root.join("src")).expect("src/");
    for entry in src.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let module = file.trim_end_matches(".rs");
        if module == "lib" {
            continue; // the crate's root, the modules' list
        }
        if !named.contains(&format!("src/{module}")) && !named.contains(&format!("src/{module}.rs")) {
            wrong.push(format!("src/{file}: a module README.md's layout does not name"));
        }
    }

    let scripts_row = rows.iter().find(|cells| cells[0] == "`scripts/`");
    let listed: BTreeSet<&str> =
        scripts_row.map(|cells| code_spans(&cells[1]).into_iter().collect()).unwrap_or_default();
    for entry in std::fs::read_dir(root.join("scripts")).expect("scripts/").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // A command is what people run: an executable file. Its helpers (`lib.sh`, the Python
        // probes, the `.d/` folders of pinned requirements) belong to the commands.
        let executable = {
            use std::os::unix::fs::PermissionsExt;
            entry.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        };
        if executable && !listed.contains(name.as_str()) {
            wrong.push(format!("scripts/{name}: a command the `scripts/` row of README.md's layout does not name"));
        }
    }
    assert!(wrong.is_empty(), "README.md's layout has drifted from the tree:\n{}", wrong.join("\n"));
}

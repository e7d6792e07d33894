//! The files: each small enough to read whole, a short README, no outside citations, docs generated.

use std::path::{Path, PathBuf};

use super::{ROOT, files_under};

/// Each variable is written once, in src/config/, and docs/configuration.md is made from those
/// declarations by `tutorchat config-doc`: the file cannot drift from what the code reads.
#[test]
fn docs_configuration_md_is_the_generated_reference_of_every_variable() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/configuration.md")).unwrap_or_default();
    assert!(
        doc == tutorchat::config::reference(),
        "docs/configuration.md is not current: run `cargo run -- config-doc` in the repository's root"
    );
    for var in tutorchat::config::variables() {
        assert!(doc.contains(&format!("| `{}` |", var.name)), "{} is not documented", var.name);
    }
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md");
    assert!(readme.contains("docs/configuration.md"), "README.md does not point to the configuration reference");
}

/// A newcomer reads the README in minutes; the rest lives in docs/.
#[test]
fn the_readme_stays_short_and_no_file_cites_a_document_outside_the_repository() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= 210, "README.md has {lines} lines: move detail to docs/");
    // The design notes and the shared folder the project grew from are not part of it; their
    // names are assembled here so that this check does not cite them itself.
    let outside = [["DESIGN", ".md"].concat(), ["shared", "/"].concat()];
    let cites = |text: &str| outside.iter().any(|name| text.contains(name.as_str()));
    let mut citing = Vec::new();
    for dir in ["src", "tests", "sql", "docs", "bench/src", "dev/src", "client/src", "scripts", "deploy"] {
        for path in files_under(&Path::new(ROOT).join(dir)) {
            if cites(&std::fs::read_to_string(&path).unwrap_or_default()) {
                citing.push(path.strip_prefix(ROOT).unwrap_or(&path).display().to_string());
            }
        }
    }
    for top in ["README.md", "compose.yaml", "Dockerfile"] {
        if cites(&std::fs::read_to_string(Path::new(ROOT).join(top)).unwrap_or_default()) {
            citing.push(top.to_owned());
        }
    }
    assert!(citing.is_empty(), "these cite documents outside this repository ({outside:?}): {citing:?}");
}

/// Where the rule on a file's length applies: every source, test and bench file of the
/// repository, whatever its language (Rust, Python, JavaScript and TypeScript, CSS, shell). Generated
/// files (the client's API types, lock files), documentation and configuration are not read
/// whole, so they stay out, as do dependencies and build output (`files_under` skips
/// node_modules/, target/ and dist/).
const SOURCE_TREES: [&str; 10] = [
    "src",
    "tests",
    "bench",
    "dev",
    "client/src",
    "client/e2e",
    "client/scripts",
    "client/public",
    "scripts",
    "deploy",
];
const SOURCE_EXTENSIONS: [&str; 8] = ["rs", "py", "mjs", "js", "ts", "tsx", "sh", "css"];
const GENERATED: [&str; 1] = ["client/src/generated"];

/// Every source, test and bench file (see [`SOURCE_TREES`]), relative to the root, with its
/// number of lines. A file without an extension counts when it is a script (`#!`), as
/// scripts/test is.
fn every_source_file() -> Vec<(PathBuf, usize)> {
    let root = Path::new(ROOT);
    let mut files: Vec<PathBuf> = SOURCE_TREES.iter().flat_map(|dir| files_under(&root.join(dir))).collect();
    files.push(root.join("build.rs"));
    let mut sources: Vec<(PathBuf, usize)> = files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(root).ok()?.to_owned();
            if GENERATED.iter().any(|dir| relative.starts_with(dir)) {
                return None;
            }
            let text = std::fs::read_to_string(&path).ok()?; // not text: not source
            let source = match relative.extension().and_then(|e| e.to_str()) {
                Some(extension) => SOURCE_EXTENSIONS.contains(&extension),
                None => text.starts_with("#!"),
            };
            source.then(|| (relative, text.lines().count()))
        })
        .collect();
    sources.sort();
    sources
}

/// Files stay small enough to read whole (the style the code base keeps: split a file that
/// passes ~300 lines; none past 400): every source, test and bench file, not the server's alone.
#[test]
fn no_source_file_is_over_400_lines() {
    let files = every_source_file();
    let checked = |path: &str| files.iter().any(|(p, _)| p == Path::new(path));
    for path in [
        "src/main.rs",
        "build.rs",
        "tests/api/house/files.rs",
        "tests/faults/main.rs",
        "tests/push/receiver.py",
        "tests/oidc/provider.mjs",
        "bench/src/main.rs",
        "bench/tests/tool.rs",
        "client/scripts/api-types.mjs",
        "scripts/test",
        "scripts/lib.sh",
    ] {
        assert!(checked(path), "{path} is not among the files the rule checks");
    }
    for dir in ["client/src", "client/e2e", "scripts/contract.d"] {
        assert!(files.iter().any(|(p, _)| p.starts_with(dir)), "nothing under {dir} is checked");
    }
    for generated in ["client/src/generated", "tests/oidc/node_modules"] {
        assert!(
            !files.iter().any(|(p, _)| p.starts_with(generated)),
            "{generated} is checked, but not written by hand"
        );
    }
    let docs_and_data: Vec<_> =
        files.iter().filter(|(p, _)| p.extension().is_some_and(|e| e == "md" || e == "json")).collect();
    assert!(docs_and_data.is_empty(), "documentation or data (lock files) among the files checked: {docs_and_data:?}");
    let long: Vec<String> = files
        .iter()
        .filter(|(_, lines)| *lines > 400)
        .map(|(path, lines)| format!("{} ({lines} lines)", path.display()))
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
    let workspace = Path::new(ROOT).join("client/src/useWorkspace.ts");
    if let Ok(text) = std::fs::read_to_string(&workspace) {
        let lines = text.lines().count();
        assert!(lines <= 260, "client/src/useWorkspace.ts has {lines} lines: its logic belongs in pure modules");
    }
}

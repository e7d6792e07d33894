//! Within a module, files do not import each other both ways: two files that need each other
//! are one concern split in two, or share a third thing that belongs in a file of its own.
//! (A module and its own submodules are one unit: a parent re-exports, a child uses `super`.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::sources;

/// A source file's module path (`src/api/messages/posted.rs` → `api::messages::posted`,
/// `src/scim/mod.rs` → `scim`).
fn module_path(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = path.iter().skip(1).map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.strip_suffix(".rs").unwrap_or(&last);
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// The module paths a file's code names: `crate::a::b…` and `super::x…` (from its own module),
/// each as far as it goes (`crate::api::messages::Posted` → `api::messages::Posted`).
fn named(text: &str, own: &[String]) -> Vec<Vec<String>> {
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
    let segment = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", own[..own.len().saturating_sub(1)].to_vec())] {
        for (at, _) in code.match_indices(prefix) {
            if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `super::super::`, `self::super::`: left to the compiler
            }
            let mut path = base.clone();
            let mut rest = &code[at + prefix.len()..];
            loop {
                let name = segment(rest);
                if name.is_empty() {
                    break;
                }
                rest = &rest[name.len()..];
                path.push(name);
                match rest.strip_prefix("::") {
                    Some(more) => rest = more,
                    None => break,
                }
            }
            out.push(path);
        }
    }
    out
}

#[test]
fn no_two_files_of_a_module_import_each_other() {
    let files: Vec<(Vec<String>, String)> =
        sources().into_iter().map(|(path, text)| (module_path(&path), text)).collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    assert!(modules.contains(&vec!["api".to_owned(), "messages".to_owned()]), "src/api/messages.rs not found");
    // Each file's edges to the files whose module its names fall in (the longest that exists).
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (own, text) in &files {
        for name in named(text, own) {
            let target = (1..=name.len()).rev().map(|n| name[..n].to_vec()).find(|m| modules.contains(m));
            if let Some(target) = target.filter(|t| t != own) {
                edges.entry(own.clone()).or_default().insert(target);
            }
        }
    }
    let nested = |a: &[String], b: &[String]| a.starts_with(b) || b.starts_with(a);
    let mut cycles = Vec::new();
    for (a, targets) in &edges {
        for b in targets {
            if a < b && !nested(a, b) && edges.get(b).is_some_and(|back| back.contains(a)) {
                cycles.push(format!("{} ↔ {}", a.join("::"), b.join("::")));
            }
        }
    }
    assert!(cycles.is_empty(), "files that import each other: {cycles:#?}");
}

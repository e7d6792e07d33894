//! The shape of the code base, checked: one home per concept. The modules import each other
//! without cycles, only `src/log/` touches the `events` table, only `src/config.rs` reads the
//! environment (and README.md documents exactly what it reads), and the server does not
//! depend on the benchmark's HTTP client.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// The top-level module a file belongs to (`src/api/chats.rs` → `api`), `None` for the crate
/// roots.
fn module_of(path: &Path) -> Option<String> {
    let mut parts = path.iter().skip(1); // "src"
    let first = parts.next()?.to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// The modules a file names through `crate::…`, including `use crate::{a, b::c}` groups.
/// Root re-exports (`crate::AppState`) count as the module that defines them.
fn referenced(text: &str) -> BTreeSet<String> {
    let reexports = [
        ("AppError", "error"),
        ("Result", "error"),
        ("AppState", "state"),
        ("Config", "config"),
        ("Application", "startup"),
    ];
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    // Code only: a comment may name a module without depending on it.
    let text: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
    let mut names = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: the first identifier after `{` and after each
            // comma at depth 0.
            let (mut depth, mut start) = (0usize, true);
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        names.push(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            names.push(ident(rest));
        }
    }
    names
        .into_iter()
        .filter(|n| !n.is_empty() && n != "self")
        .map(|n| reexports.iter().find(|(item, _)| *item == n).map_or(n.clone(), |(_, m)| (*m).to_owned()))
        .collect()
}

#[test]
fn the_modules_import_each_other_without_cycles() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources() {
        let Some(module) = module_of(&path) else { continue };
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(referenced(&text).into_iter().filter(|m| *m != module));
    }
    for module in ["state", "router", "extract", "views", "log", "api", "auth", "realtime"] {
        assert!(graph.contains_key(module), "src/{module} is missing: {graph:?}");
    }
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = visit(module, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
    for low in ["auth", "realtime"] {
        assert!(!graph[low].contains("api"), "src/{low} imports from src/api: {:?}", graph[low]);
        assert!(!graph[low].contains("state"), "src/{low} imports the whole app's state: {:?}", graph[low]);
    }
}

#[test]
fn only_the_log_module_touches_the_events_table() {
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        if path.starts_with("src/log") {
            continue;
        }
        let lower = text.to_lowercase();
        for statement in ["from events", "into events", "join events", "update events", "delete from events"] {
            if lower.contains(statement) {
                offenders.push(format!("{}: {statement}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "statements on `events` outside src/log: {offenders:#?}");
}

#[test]
fn only_config_reads_the_environment_and_the_readme_documents_every_variable() {
    for (path, text) in sources() {
        if path == Path::new("src/config.rs") {
            continue;
        }
        for read in text.match_indices("env::var") {
            let call = &text[read.0..text.len().min(read.0 + 30)];
            assert!(call.contains("(\"PATH\")"), "{} reads the environment: {call:?}", path.display());
        }
    }

    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md");
    let section = readme.split("## Configuration").nth(1).expect("a Configuration section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let documented: BTreeSet<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .flat_map(|l| l.split(" |").next().into_iter().flat_map(|cell| cell.split(", ")))
        .map(|name| name.trim_matches('`'))
        .collect();
    let read: BTreeSet<&str> = tutorchat::config::VARIABLES.iter().copied().collect();
    assert_eq!(documented, read, "README.md's configuration table and config::VARIABLES differ");
}

/// The server calls out over HTTP only to deliver notices (the webhook) and to reach S3; the
/// benchmark's load generator (a cookie-keeping client, JSON helpers) stays in bench/ and never
/// reaches the server's build.
#[test]
fn the_server_has_an_outbound_http_client_only() {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let output = std::process::Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal,features", "-p", "tutorchat", "-i", "reqwest", "--prefix", "none"])
        .current_dir(ROOT)
        .output()
        .expect("run cargo tree");
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    let features: BTreeSet<&str> =
        tree.lines().filter_map(|l| l.strip_prefix("reqwest feature \"")).filter_map(|l| l.split('"').next()).collect();
    assert!(features.contains("rustls"), "the webhook and S3 need HTTPS: {features:?}");
    for generator in ["cookies", "json"] {
        assert!(
            !features.contains(generator),
            "the server's reqwest has the load generator's {generator:?}: {features:?}"
        );
    }
    let output = std::process::Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "-p", "tutorchat", "--prefix", "none"])
        .current_dir(ROOT)
        .output()
        .expect("run cargo tree");
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(tree.lines().any(|l| l.starts_with("axum ")), "an unexpected tree: {tree}");
    assert!(!tree.lines().any(|l| l.starts_with("tutorchat-bench ")), "the server depends on the benchmark");
}

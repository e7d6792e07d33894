//! Where code may reach: no import cycles, one home per concern, and an outbound HTTP client only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{ROOT, sources};

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
    for module in ["state", "router", "extract", "wire", "log", "api", "auth", "realtime", "access"] {
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
fn only_config_reads_the_environment() {
    for (path, text) in sources() {
        if path.starts_with("src/config") {
            continue;
        }
        for read in text.match_indices("env::var") {
            let call = &text[read.0..text.len().min(read.0 + 30)];
            assert!(call.contains("(\"PATH\")"), "{} reads the environment: {call:?}", path.display());
        }
    }
}

/// The development harness (the local topology, the schema dump) is a crate of its own, `dev/`,
/// which the server's code never names and the server's package depends on only for its tests.
/// The demo's data and key stay in the server (`serve --demo`) but only the command uses them.
#[test]
fn production_code_does_not_depend_on_the_development_harness() {
    for (path, text) in sources() {
        assert!(!text.contains("tutorchat_dev"), "{} uses the development harness (dev/)", path.display());
        if path == Path::new("src/main.rs") || path == Path::new("src/lib.rs") || path == Path::new("src/demo.rs") {
            continue;
        }
        assert!(!referenced(&text).contains("demo"), "{} uses the demo's data or key (src/demo.rs)", path.display());
    }
    let manifest = std::fs::read_to_string("Cargo.toml").expect("Cargo.toml");
    let dependencies = manifest.split("[dependencies]").nth(1).and_then(|rest| rest.split("\n[").next());
    assert!(
        dependencies.is_some_and(|deps| !deps.contains("tutorchat-dev")),
        "the server's [dependencies] name tutorchat-dev: only its tests may"
    );
    let config: String =
        sources().into_iter().filter(|(p, _)| p.starts_with("src/config")).map(|(_, text)| text).collect();
    assert!(!config.contains("urandom") && !config.contains("create_dir"), "src/config writes files (demo key?)");
}

/// Enums stored as text are spelled once (`db::text_column!`); where serde names them too,
/// both spellings agree.
#[test]
fn stored_enums_serialize_as_they_are_stored() {
    use tutorchat::auth::Role;
    use tutorchat::wire::ChatKind;
    for role in Role::ALL {
        assert_eq!(serde_json::to_value(role).expect("json"), role.as_str());
        assert_eq!(role.as_str().parse::<Role>().expect("parses"), *role);
    }
    for kind in ChatKind::ALL {
        assert_eq!(serde_json::to_value(kind).expect("json"), kind.as_str());
        assert_eq!(kind.as_str().parse::<ChatKind>().expect("parses"), *kind);
    }
    assert!("nobody".parse::<Role>().is_err());
}

/// The server calls out over HTTP only to deliver notices (the webhook), to reach S3 and the
/// school's OpenID Provider (its metadata, keys and token endpoint); the
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

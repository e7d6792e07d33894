//! The `tutorchat` command as the docs tell people to run it: every subcommand they mention
//! exists (asked of the built binary's `--help`), and README's layout row of `src/main.rs`
//! names every one.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use super::{ROOT, code_spans, table_rows};

/// The subcommands `tutorchat [words…] --help` lists (without clap's own `help`).
fn subcommands(words: &[&str]) -> BTreeSet<String> {
    let output =
        Command::new(env!("CARGO_BIN_EXE_tutorchat")).args(words).arg("--help").output().expect("run tutorchat --help");
    let help = String::from_utf8_lossy(&output.stdout).into_owned();
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The code of a Markdown text: its fenced blocks' lines and its code spans.
fn code_of(text: &str) -> Vec<String> {
    let (mut code, mut prose, mut fenced) = (Vec::new(), String::new(), false);
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            code.push(line.to_owned());
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    code.extend(code_spans(&prose).into_iter().map(|span| span.replace('\n', " ")));
    code
}

/// The words after each `tutorchat` invoked in a piece of code (`tutorchat import --users …`,
/// `target/debug/tutorchat openapi`, `cargo run -- serve`): the subcommand, and its own
/// subcommand when it has one. Not `tutorchat-dev`, a database or a role of that name
/// (`psql -d tutorchat`), nor another package's `cargo run -p … --`.
fn invocations(code: &str) -> Vec<Vec<String>> {
    let words: Vec<&str> = code.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let invoked = (*word == "tutorchat" || word.ends_with("/tutorchat"))
            && (i == 0 || ["exec", "$", "…", "`"].contains(&words[i - 1]) || words[i - 1].contains('='))
            || *word == "--" && words[..i].starts_with(&["cargo", "run"]) && !words[..i].contains(&"-p");
        if invoked {
            let rest: Vec<String> = words[i + 1..]
                .iter()
                .take(2)
                .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !w.starts_with('-'))
                .map(|w| (*w).to_owned())
                .collect();
            if !rest.is_empty() {
                found.push(rest);
            }
        }
    }
    found
}

#[test]
fn every_tutorchat_subcommand_the_docs_mention_exists_and_the_readme_names_them_all() {
    let root = Path::new(ROOT);
    let commands = subcommands(&[]);
    assert!(commands.contains("serve") && commands.contains("migrate"), "tutorchat --help lists {commands:?}");
    let mut docs = vec![
        root.join("README.md"),
        root.join("client/README.md"),
        root.join("sql/README.md"),
        root.join("bench/README.md"),
    ];
    docs.extend(
        std::fs::read_dir(root.join("docs"))
            .expect("docs/")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    let mut wrong = Vec::new();
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap_or_default();
        let name = doc.strip_prefix(root).unwrap_or(doc).display();
        for code in code_of(&text) {
            for words in invocations(&code) {
                if !commands.contains(&words[0]) {
                    wrong.push(format!("{name}: `tutorchat {}`, a subcommand tutorchat does not have", words[0]));
                    continue;
                }
                let nested = subcommands(&[words[0].as_str()]);
                if let Some(second) = words.get(1).filter(|_| !nested.is_empty())
                    && !nested.contains(second)
                {
                    wrong.push(format!("{name}: `tutorchat {} {second}`, which tutorchat does not have", words[0]));
                }
            }
        }
    }

    // README's layout row of src/main.rs lists the subcommands, each as a code span: all of
    // them, and nothing else that reads as one.
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let row = table_rows(&readme).into_iter().find(|cells| cells.first().is_some_and(|c| c == "`src/main.rs`"));
    let described = row.and_then(|cells| cells.get(1).cloned()).unwrap_or_default();
    let listed: BTreeSet<String> = code_spans(&described)
        .into_iter()
        .filter_map(|span| span.split_whitespace().next())
        .filter(|word| word.chars().all(|c| c.is_ascii_lowercase() || c == '-') && *word != "tutorchat")
        .map(str::to_owned)
        .collect();
    for word in listed.difference(&commands) {
        wrong.push(format!("README.md's row of src/main.rs: `{word}`, a subcommand tutorchat does not have"));
    }
    for command in commands.difference(&listed) {
        wrong.push(format!("README.md's row of src/main.rs leaves out `{command}`"));
    }
    assert!(wrong.is_empty(), "the docs and the tutorchat command disagree:\n{}", wrong.join("\n"));
}

//! docs/api.md against the OpenAPI document the server serves: the page says what a schema
//! cannot (who may call what, and why), so it is written by hand, and these checks keep its
//! operation tables true to the document. Each operation has a row and each row names real
//! operations; the statuses a row names are ones its operations answer, and it names every
//! success status but 200; every field it names is one of the API's; every shape an operation
//! answers with is spelled out in full, once, as a `{"field",…}` list; and a query parameter
//! with a fixed set of values, where a row names it, is given with all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::{ROOT, code_spans, table_rows};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// An operation: its method and its path as the document writes it (`/api/chats/{chat_id}`).
type Operation = (String, String);

/// The operations a row's first cell names: `GET /api/chats?limit=…`; `PUT` / `DELETE /path`
/// (both methods); `…/unsuspend` after `POST /api/admin/users/{id}/suspend` (the same
/// method, the last segment replaced).
fn operations_of(cell: &str) -> Vec<Operation> {
    let (mut found, mut pending): (Vec<Operation>, Vec<&str>) = (Vec::new(), Vec::new());
    for span in code_spans(cell).into_iter().map(str::trim) {
        if METHODS.contains(&span) {
            pending.push(span);
        } else if let Some((method, path)) =
            span.split_once(' ').filter(|(m, p)| METHODS.contains(m) && p.starts_with('/'))
        {
            let path = path.split('?').next().unwrap_or(path);
            for method in pending.drain(..).chain([method]) {
                found.push((method.to_owned(), path.to_owned()));
            }
        } else if let (Some(tail), Some((method, last))) = (span.strip_prefix('…'), found.last().cloned()) {
            let parent = last.rsplit_once('/').map_or("", |(parent, _)| parent);
            found.push((method, format!("{parent}{tail}")));
        }
    }
    found
}

/// The 3-digit numbers of `text` that are HTTP statuses, not lengths or counts ("at most 500
/// members", "2,000 bytes", "10.4 ms", "1–500").
fn statuses_in(text: &str) -> BTreeSet<u16> {
    const UNITS: [&str; 14] = [
        "characters",
        "bytes",
        "chats",
        "lessons",
        "ms",
        "kB",
        "ids",
        "people",
        "members",
        "terms",
        "per",
        "results",
        "messages",
        "s",
    ];
    let chars: Vec<char> = text.chars().collect();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let before = start.checked_sub(1).map(|j| chars[j]);
        let word_before = before.is_some_and(char::is_alphanumeric); // `sha256`, `V2`
        let grouped = matches!(chars.get(i), Some(',' | '.')) && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        let word: String = chars[i..].iter().skip(1).take_while(|c| c.is_alphanumeric()).collect();
        let number: String = chars[start..i].iter().collect();
        if i - start == 3
            && !word_before
            && !matches!(before, Some('–' | '-' | '.' | ','))
            && !grouped
            && !UNITS.contains(&word.as_str())
            && let Ok(status @ 200..=599) = number.parse::<u16>()
        {
            found.insert(status);
        }
    }
    found
}

/// The field names a text gives in quotes (`{"id","name"}`, `"role":"guest"` gives `role`):
/// a quoted word after a colon is a value, and an ellipsis is no name.
fn fields_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let value = rest[..open].trim_end().ends_with(':');
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let word = &after[..close];
        if !value && !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            found.insert(word.to_owned());
        }
        rest = &after[close + 1..];
    }
    found
}

/// The sets of field names of every `{…}` of the page, inner ones included: where a shape is
/// spelled out.
fn field_lists(text: &str) -> Vec<BTreeSet<String>> {
    let (mut lists, mut open) = (Vec::new(), Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' => open.push(i),
            '}' => {
                if let Some(start) = open.pop() {
                    lists.push(fields_in(&text[start..=i]));
                }
            }
            _ => {}
        }
    }
    lists
}

struct Document<'a> {
    root: &'a Value,
}

impl Document<'_> {
    fn schema(&self, name: &str) -> &Value {
        self.root.pointer(&format!("/components/schemas/{name}")).unwrap_or(&Value::Null)
    }

    /// Each named schema `schema` reaches (through `$ref`, `items`, `allOf`/`oneOf`/`anyOf`,
    /// properties and maps), into `names`.
    fn reach(&self, schema: &Value, names: &mut BTreeSet<String>) {
        if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
            if names.insert(name.to_owned()) {
                self.reach(self.schema(name), names);
            }
            return;
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema[key].as_array().into_iter().flatten() {
                self.reach(part, names);
            }
        }
        self.reach_in(&schema["items"], names);
        self.reach_in(&schema["additionalProperties"], names);
        for property in schema["properties"].as_object().into_iter().flat_map(|p| p.values()) {
            self.reach(property, names);
        }
    }

    fn reach_in(&self, schema: &Value, names: &mut BTreeSet<String>) {
        if schema.is_object() {
            self.reach(schema, names);
        }
    }

    /// A schema's own properties, with those it adds (`allOf`) to the named schemas it is made
    /// of (which are shapes of their own: `{"chat_id", …message}`).
    fn properties(schema: &Value) -> BTreeSet<String> {
        let mut names: BTreeSet<String> =
            schema["properties"].as_object().into_iter().flat_map(|p| p.keys().cloned()).collect();
        for part in schema["allOf"].as_array().into_iter().flatten().filter(|part| part.get("$ref").is_none()) {
            names.extend(Self::properties(part));
        }
        names
    }
}

#[test]
fn docs_api_md_describes_the_operations_the_openapi_document_has() {
    let page = std::fs::read_to_string(Path::new(ROOT).join("docs/api.md")).expect("docs/api.md");
    let root = tutorchat::api::openapi::document();
    let document = Document { root: &root };
    let mut operations: BTreeMap<Operation, &Value> = BTreeMap::new();
    for (path, item) in root["paths"].as_object().expect("the document's paths") {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if METHODS.contains(&method.to_uppercase().as_str()) {
                operations.insert((method.to_uppercase(), path.clone()), operation);
            }
        }
    }
    let every_field: BTreeSet<String> = root["components"]["schemas"]
        .as_object()
        .expect("the document's schemas")
        .values()
        .flat_map(Document::properties)
        .chain(
            operations
                .values()
                .flat_map(|o| o["parameters"].as_array().into_iter().flatten())
                .filter_map(|p| p["name"].as_str().map(str::to_owned)),
        )
        .collect();
    let statuses = |operation: &Value| -> BTreeSet<u16> {
        operation["responses"].as_object().into_iter().flat_map(|r| r.keys()).filter_map(|s| s.parse().ok()).collect()
    };

    let (mut wrong, mut described) = (Vec::new(), BTreeSet::new());
    for cells in table_rows(&page) {
        let ops = operations_of(cells.first().map_or("", String::as_str));
        if ops.is_empty() {
            continue;
        }
        let text = cells.get(1..).unwrap_or_default().join(" | ");
        let title = cells[0].chars().take(60).collect::<String>();
        let known: Vec<&Value> = ops.iter().filter_map(|op| operations.get(op).copied()).collect();
        for op in &ops {
            if !operations.contains_key(op) {
                wrong.push(format!("{} {}: in docs/api.md, not in the OpenAPI document", op.0, op.1));
            }
            described.insert(op.clone());
        }
        let answered: BTreeSet<u16> = known.iter().flat_map(|op| statuses(op)).collect();
        let named = statuses_in(&text);
        for status in named.difference(&answered) {
            wrong.push(format!("{title}: names {status}, which the document does not answer"));
        }
        for status in answered.iter().filter(|s| (201..400).contains(*s)) {
            if !named.contains(status) {
                wrong.push(format!("{title}: answers {status}, which the row does not name"));
            }
        }
        for field in fields_in(&text).difference(&every_field) {
            wrong.push(format!("{title}: names \"{field}\", no field of the API"));
        }
        for (op, operation) in ops.iter().filter_map(|op| Some((op, *operations.get(op)?))) {
            for parameter in operation["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query") {
                let name = parameter["name"].as_str().unwrap_or_default();
                let schema = match parameter["schema"]["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                    Some(schema) => document.schema(schema),
                    None => &parameter["schema"],
                };
                let named = cells[0].contains(&format!("{name}=")) || text.contains(&format!("`{name}`"));
                for value in schema["enum"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    let given =
                        [format!("`{value}`"), format!("={value}"), format!("|{value}"), format!("\"{value}\"")];
                    if named && !given.iter().any(|g| cells.join(" ").contains(g.as_str())) {
                        wrong.push(format!(
                            "{} {}: `{name}` may also be `{value}`, which the row does not say",
                            op.0, op.1
                        ));
                    }
                }
            }
        }
    }
    for op in operations.keys().filter(|op| !described.contains(*op)) {
        wrong.push(format!("{} {}: in the OpenAPI document, with no row in docs/api.md", op.0, op.1));
    }

    // Every shape an operation answers with, spelled out in full once.
    let mut shapes = BTreeSet::new();
    for operation in operations.values() {
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            if status.starts_with('2') {
                for media in response["content"].as_object().into_iter().flat_map(|c| c.values()) {
                    document.reach(&media["schema"], &mut shapes);
                }
            }
        }
    }
    let lists = field_lists(&page);
    for shape in &shapes {
        let fields = Document::properties(document.schema(shape));
        let best = lists.iter().map(|list| fields.difference(list).cloned().collect::<Vec<_>>()).min_by_key(Vec::len);
        if let Some(missing) = best.filter(|missing| !fields.is_empty() && !missing.is_empty()) {
            wrong.push(format!(
                "{shape}: no {{…}} of docs/api.md lists all its fields; the closest leaves out {missing:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "docs/api.md has drifted from the OpenAPI document:\n{}", wrong.join("\n"));
}

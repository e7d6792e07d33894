//! SCIM filters (RFC 7644 §3.4.2.2), evaluated on a resource as it is answered: `eq`, `ne`,
//! `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`, `pr`, `and`, `or`, `not (…)` and parentheses, on
//! an attribute or a sub-attribute (`emails.value`), with or without its schema's URN. Strings
//! compare in any case, except `id` and `externalId`; a multi-valued attribute matches when one
//! of its values does. (`emails[type eq "work"]` filters inside an attribute are PATCH paths'
//! business: `patch.rs`.)

use serde_json::Value;

/// The longest filter accepted, in bytes. Identity providers send one or two comparisons
/// (`userName eq "…"`, `externalId eq "…" and active eq true`), well under 200 bytes; the
/// bound keeps what a client can make the parser, the SQL it is translated into (one bound
/// parameter a comparison) and an in-memory evaluation do small, whatever the body size limit.
pub const MAX_FILTER_BYTES: usize = 4096;

/// The deepest nesting of parentheses and `not`s accepted. The parser, [`matches`] and the
/// tree's drop recurse once per level, and a worker thread's stack is 2 MiB: thousands of
/// levels would overflow it, which aborts the whole process (no panic guard catches it). No
/// identity provider nests more than two or three levels.
pub const MAX_FILTER_DEPTH: usize = 32;

/// A parsed filter. `and` and `or` chains are flat lists, so the tree is only as deep as the
/// text's nesting ([`MAX_FILTER_DEPTH`]), however many terms it has.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare { path: Vec<String>, op: String, value: Value },
    Present(Vec<String>),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Text(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => s.push(chars.next().ok_or("an unfinished escape")?),
                        Some('"') => break,
                        Some(c) => s.push(c),
                        None => return Err("an unfinished string".into()),
                    }
                }
                out.push(Token::Text(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c == ' ' || c == '(' || c == ')' {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(Token::Word(s));
            }
        }
    }
    Ok(out)
}

/// Parses `text`; the error says what is wrong (SCIM's `invalidFilter`), a filter longer than
/// [`MAX_FILTER_BYTES`] or nested deeper than [`MAX_FILTER_DEPTH`] included.
pub fn parse(text: &str) -> Result<Filter, String> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(format!("a filter is at most {MAX_FILTER_BYTES} bytes long"));
    }
    let tokens = tokens(text)?;
    let mut at = 0;
    let filter = or(&tokens, &mut at, 0)?;
    if let Some(token) = tokens.get(at) {
        return Err(format!("unexpected {token:?}"));
    }
    Ok(filter)
}

fn keyword(tokens: &[Token], at: usize, word: &str) -> bool {
    matches!(tokens.get(at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
}

fn or(tokens: &[Token], at: &mut usize, depth: usize) -> Result<Filter, String> {
    let mut terms = vec![and(tokens, at, depth)?];
    while keyword(tokens, *at, "or") {
        *at += 1;
        terms.push(and(tokens, at, depth)?);
    }
    Ok(if terms.len() == 1 { terms.remove(0) } else { Filter::Or(terms) })
}

fn and(tokens: &[Token], at: &mut usize, depth: usize) -> Result<Filter, String> {
    let mut terms = vec![factor(tokens, at, depth)?];
    while keyword(tokens, *at, "and") {
        *at += 1;
        terms.push(factor(tokens, at, depth)?);
    }
    Ok(if terms.len() == 1 { terms.remove(0) } else { Filter::And(terms) })
}

fn factor(tokens: &[Token], at: &mut usize, depth: usize) -> Result<Filter, String> {
    let nested = keyword(tokens, *at, "not") || tokens.get(*at) == Some(&Token::Open);
    if nested && depth >= MAX_FILTER_DEPTH {
        return Err(format!("a filter nests at most {MAX_FILTER_DEPTH} levels of parentheses and not"));
    }
    if keyword(tokens, *at, "not") {
        *at += 1;
        return Ok(Filter::Not(Box::new(factor(tokens, at, depth + 1)?)));
    }
    if tokens.get(*at) == Some(&Token::Open) {
        *at += 1;
        let inner = or(tokens, at, depth + 1)?;
        if tokens.get(*at) != Some(&Token::Close) {
            return Err("a parenthesis is not closed".into());
        }
        *at += 1;
        return Ok(inner);
    }
    let Some(Token::Word(attribute)) = tokens.get(*at) else {
        return Err("an attribute was expected".into());
    };
    let path = attribute_path(attribute);
    let Some(Token::Word(op)) = tokens.get(*at + 1) else {
        return Err(format!("an operator was expected after {attribute}"));
    };
    let op = op.to_ascii_lowercase();
    if op == "pr" {
        *at += 2;
        return Ok(Filter::Present(path));
    }
    if !["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"].contains(&op.as_str()) {
        return Err(format!("{op} is no operator"));
    }
    let value = match tokens.get(*at + 2) {
        Some(Token::Text(s)) => Value::String(s.clone()),
        Some(Token::Word(w)) if w == "true" => Value::Bool(true),
        Some(Token::Word(w)) if w == "false" => Value::Bool(false),
        Some(Token::Word(w)) if w == "null" => Value::Null,
        Some(Token::Word(w)) => w.parse::<f64>().map(Value::from).map_err(|_| format!("{w} is no value"))?,
        _ => return Err(format!("a value was expected after {attribute} {op}")),
    };
    *at += 3;
    Ok(Filter::Compare { path, op, value })
}

/// `urn:…:User:emails.value` → `["emails", "value"]`, in lower case.
pub fn attribute_path(text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    let bare = match text.rfind(':') {
        Some(i) if text.starts_with("urn:") => text[i + 1..].to_owned(),
        _ => text,
    };
    bare.split('.').map(str::to_owned).collect()
}

/// The values at `path` in `resource` (every element of a multi-valued one), by name in any case.
fn values<'a>(resource: &'a Value, path: &[String]) -> Vec<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return match resource {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
    };
    match resource {
        Value::Array(items) => items.iter().flat_map(|i| values(i, path)).collect(),
        Value::Object(fields) => {
            let found = fields.iter().find(|(k, _)| k.to_lowercase() == *first).map(|(_, v)| v);
            // An extension's attributes sit under its URN.
            let found = found.or_else(|| {
                fields
                    .iter()
                    .filter(|(k, _)| k.starts_with("urn:"))
                    .find_map(|(_, v)| v.as_object()?.iter().find(|(k, _)| k.to_lowercase() == *first).map(|(_, v)| v))
            });
            found.map(|v| values(v, rest)).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// Whether `resource` matches.
pub fn matches(filter: &Filter, resource: &Value) -> bool {
    match filter {
        Filter::And(terms) => terms.iter().all(|t| matches(t, resource)),
        Filter::Or(terms) => terms.iter().any(|t| matches(t, resource)),
        Filter::Not(a) => !matches(a, resource),
        Filter::Present(path) => {
            values(resource, path).iter().any(|v| !v.is_null() && *v != &Value::String(String::new()))
        }
        Filter::Compare { path, op, value } => {
            let exact = matches!(path.last().map(String::as_str), Some("id" | "externalid"));
            let found = values(resource, path);
            if op == "ne" {
                return !found.iter().any(|v| compare(v, "eq", value, exact));
            }
            if found.is_empty() {
                return false;
            }
            found.iter().any(|v| compare(v, op, value, exact))
        }
    }
}

fn compare(actual: &Value, op: &str, wanted: &Value, exact: bool) -> bool {
    match (actual, wanted) {
        (Value::String(a), Value::String(w)) => {
            let (a, w) = if exact { (a.clone(), w.clone()) } else { (a.to_lowercase(), w.to_lowercase()) };
            match op {
                "eq" => a == w,
                "co" => a.contains(&w),
                "sw" => a.starts_with(&w),
                "ew" => a.ends_with(&w),
                "gt" => a > w,
                "ge" => a >= w,
                "lt" => a < w,
                "le" => a <= w,
                _ => false,
            }
        }
        (Value::Bool(a), Value::Bool(w)) => op == "eq" && a == w,
        (Value::Number(a), Value::Number(w)) => {
            let (a, w) = (a.as_f64().unwrap_or_default(), w.as_f64().unwrap_or_default());
            match op {
                "eq" => a == w,
                "gt" => a > w,
                "ge" => a >= w,
                "lt" => a < w,
                "le" => a <= w,
                _ => false,
            }
        }
        (actual, Value::Null) => op == "eq" && actual.is_null(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_match_as_rfc_7644_says() {
        let user = json!({ "id": "7", "userName": "Ada@School.example", "externalId": "S-1", "active": true,
                           "emails": [{ "value": "ada@school.example" }] });
        let yes = [
            r#"userName eq "ada@school.example""#,
            r#"externalId eq "S-1" and active eq true"#,
            r#"emails.value eq "ADA@school.example""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ada""#,
            r#"not (active eq false) or userName eq "x""#,
            "emails pr",
        ];
        for text in yes {
            assert!(matches(&parse(text).expect(text), &user), "{text}");
        }
        for text in [r#"externalId eq "s-1""#, r#"userName eq "ada" or active eq false"#, "displayName pr"] {
            assert!(!matches(&parse(text).expect(text), &user), "{text}");
        }
        for bad in ["userName", r#"userName zz "x""#, r#"(userName eq "x""#, r#"userName eq "x"#] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_filter_nested_too_deep_or_too_long_is_refused_and_one_within_the_bounds_is_not() {
        let nested = |depth: usize| format!("{}userName eq \"x\"{}", "(".repeat(depth), ")".repeat(depth));
        assert!(parse(&nested(MAX_FILTER_DEPTH)).is_ok());
        assert!(parse(&nested(MAX_FILTER_DEPTH + 1)).is_err());
        assert!(parse(&format!("{}userName pr", "not ".repeat(MAX_FILTER_DEPTH + 1))).is_err());
        let long = vec!["userName pr"; MAX_FILTER_BYTES / 15].join(" or ");
        assert!(long.len() <= MAX_FILTER_BYTES && parse(&long).is_ok(), "a long flat filter is fine");
        assert!(parse(&format!("{long} or userName pr or userName pr")).is_err());
        assert!(parse(&nested(5_000)).is_err());
    }

    /// Runs `check` on a thread with a small stack (a quarter of a worker's): a recursion the
    /// bounds do not cut short overflows it, which aborts the test run.
    fn on_a_small_stack(check: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new().stack_size(512 * 1024).spawn(check).expect("a thread").join().expect("no panic");
    }

    /// Text made of the filter grammar's pieces, in any order, nested as deep as it likes.
    fn filter_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("(".to_owned()),
            Just(")".to_owned()),
            Just(" not ".to_owned()),
            Just(" and ".to_owned()),
            Just(" or ".to_owned()),
            Just("userName eq \"a\"".to_owned()),
            Just("emails.value sw \"é\"".to_owned()),
            Just("active pr".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            "\\PC{0,8}",
        ];
        prop::collection::vec(piece, 0..200).prop_map(|pieces| pieces.concat())
    }

    /// A valid filter wrapped in `n` parentheses or `not (`s (two levels each), up to 20,000,
    /// with how many levels it nests.
    fn deep_filter() -> impl proptest::strategy::Strategy<Value = (String, usize)> {
        use proptest::prelude::*;
        let depth = prop_oneof![0usize..2 * MAX_FILTER_DEPTH, 0usize..20_000];
        (depth, any::<bool>()).prop_map(|(n, negated)| {
            let (open, levels) = if negated { ("not (", 2 * n) } else { ("(", n) };
            (format!("{}userName eq \"x\"{}", open.repeat(n), ")".repeat(n)), levels)
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        #[test]
        fn any_text_parses_or_is_refused_without_a_panic_or_an_overflow(text in filter_text()) {
            on_a_small_stack(move || {
                let user = serde_json::json!({ "userName": "a", "emails": [{ "value": "é@x" }], "active": true });
                if let Ok(filter) = parse(&text) {
                    matches(&filter, &user);
                }
            });
        }

        #[test]
        fn any_arbitrary_string_is_parsed_without_a_panic(text in "\\PC{0,300}") {
            on_a_small_stack(move || {
                let _ = parse(&text);
            });
        }

        #[test]
        fn deep_nesting_is_refused_past_the_bound_and_never_overflows((text, levels) in deep_filter()) {
            let parsed = std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || parse(&text).map(|f| matches(&f, &serde_json::json!({ "userName": "x" }))))
                .expect("a thread")
                .join()
                .expect("no panic");
            proptest::prop_assert_eq!(parsed.is_ok(), levels <= MAX_FILTER_DEPTH, "{} levels", levels);
        }
    }
}

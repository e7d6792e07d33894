//! SCIM filters (RFC 7644 §3.4.2.2), evaluated on a resource as it is answered: `eq`, `ne`,
//! `co`, `sw`, `ew`, `gt`, `ge`, `lt`, `le`, `pr`, `and`, `or`, `not (…)` and parentheses, on
//! an attribute or a sub-attribute (`emails.value`), with or without its schema's URN. Strings
//! compare in any case, except `id` and `externalId`; a multi-valued attribute matches when one
//! of its values does. (`emails[type eq "work"]` filters inside an attribute are PATCH paths'
//! business: `patch.rs`.)

use serde_json::Value;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare { path: Vec<String>, op: String, value: Value },
    Present(Vec<String>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
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

/// Parses `text`; the error says what is wrong (SCIM's `invalidFilter`).
pub fn parse(text: &str) -> Result<Filter, String> {
    let tokens = tokens(text)?;
    let mut at = 0;
    let filter = or(&tokens, &mut at)?;
    if at != tokens.len() {
        return Err(format!("unexpected {:?}", tokens[at]));
    }
    Ok(filter)
}

fn keyword(tokens: &[Token], at: usize, word: &str) -> bool {
    matches!(tokens.get(at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
}

fn or(tokens: &[Token], at: &mut usize) -> Result<Filter, String> {
    let mut left = and(tokens, at)?;
    while keyword(tokens, *at, "or") {
        *at += 1;
        left = Filter::Or(Box::new(left), Box::new(and(tokens, at)?));
    }
    Ok(left)
}

fn and(tokens: &[Token], at: &mut usize) -> Result<Filter, String> {
    let mut left = factor(tokens, at)?;
    while keyword(tokens, *at, "and") {
        *at += 1;
        left = Filter::And(Box::new(left), Box::new(factor(tokens, at)?));
    }
    Ok(left)
}

fn factor(tokens: &[Token], at: &mut usize) -> Result<Filter, String> {
    if keyword(tokens, *at, "not") {
        *at += 1;
        return Ok(Filter::Not(Box::new(factor(tokens, at)?)));
    }
    if tokens.get(*at) == Some(&Token::Open) {
        *at += 1;
        let inner = or(tokens, at)?;
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
        Filter::And(a, b) => matches(a, resource) && matches(b, resource),
        Filter::Or(a, b) => matches(a, resource) || matches(b, resource),
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
}

//! PATCH (RFC 7644 §3.5.2) applied to a resource as this server renders it: `add`, `replace`
//! and `remove`, with a path (`active`, `name.givenName`, an extension's
//! `urn:…:User:guardianOf`, a value filter as identity providers send them:
//! `members[value eq "7"]`, `emails[type eq "work"].value`) or without one (a map of
//! attributes). The result is then stored as a PUT of it would be, so PATCH and PUT keep the
//! same rules.

use serde_json::{Map, Value};

use super::ScimError;
use super::filter::{self, Filter};
use super::resource::field;

/// The longest PATCH path accepted, in bytes: an attribute, its URN and a value filter
/// (itself at most [`filter::MAX_FILTER_BYTES`]).
pub const MAX_PATH_BYTES: usize = filter::MAX_FILTER_BYTES + 256;

/// Applies the `Operations` of a PatchOp body to `resource`.
pub fn apply(resource: &mut Value, body: &Value, extensions: &[&str]) -> Result<(), ScimError> {
    let operations = field(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "a PatchOp has Operations"))?;
    for operation in operations {
        let op = field(operation, "op").and_then(Value::as_str).unwrap_or_default().to_lowercase();
        let value = field(operation, "value").cloned();
        let path = field(operation, "path").and_then(Value::as_str).map(str::trim).filter(|p| !p.is_empty());
        match (op.as_str(), path) {
            ("add" | "replace", None) => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::bad("invalidValue", "an operation without a path takes an object"));
                };
                for (key, v) in values {
                    let target = Target::parse(&key, extensions)?;
                    target.set(resource, v, op == "add")?;
                }
            }
            ("add" | "replace", Some(path)) => {
                let value =
                    value.ok_or_else(|| ScimError::bad("invalidValue", format!("{op} {path} needs a value")))?;
                Target::parse(path, extensions)?.set(resource, value, op == "add")?;
            }
            ("remove", Some(path)) => Target::parse(path, extensions)?.remove(resource),
            ("remove", None) => return Err(ScimError::bad("noTarget", "remove needs a path")),
            _ => return Err(ScimError::bad("invalidSyntax", format!("{op:?} is no PATCH operation"))),
        }
    }
    Ok(())
}

/// Whether `name` is an attribute's name (RFC 7643 §2.1: a letter, then letters, digits, `-`
/// and `_`; or `$ref`).
fn attribute_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("$ref")
        || (name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// Where an operation writes: an attribute (of the resource or of an extension), maybe only
/// the values matching a filter, maybe one sub-attribute.
struct Target {
    extension: Option<String>,
    attribute: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

impl Target {
    /// Reads `path`. Whatever it is, the answer is a target or a 400 (`invalidPath`, or
    /// `invalidFilter` for the filter between its brackets): never a panic, however the
    /// brackets stand or wherever a multibyte character falls.
    fn parse(path: &str, extensions: &[&str]) -> Result<Self, ScimError> {
        if path.len() > MAX_PATH_BYTES {
            return Err(ScimError::bad("invalidPath", format!("a path is at most {MAX_PATH_BYTES} bytes long")));
        }
        // The whole extension: an attribute of the resource named by its URN.
        if let Some(x) = extensions.iter().find(|x| path.eq_ignore_ascii_case(x)) {
            return Ok(Self { extension: None, attribute: (*x).to_owned(), filter: None, sub: None });
        }
        // One of the extension's attributes: `urn:…:User:guardianOf` (the URN ends at a
        // character boundary of `path`, else `path` does not start with it).
        let in_extension = extensions.iter().find_map(|x| {
            let rest = path.get(x.len()..).filter(|r| !r.is_empty())?;
            path.get(..x.len()).filter(|head| head.eq_ignore_ascii_case(x)).map(|_| (*x, rest))
        });
        let (extension, rest) = match in_extension {
            Some((x, rest)) => (Some(x.to_owned()), rest.trim_start_matches(':')),
            // Another schema's attribute: its URN ends at the last colon before a value filter.
            // The core schema's are the resource's own; an extension this server does not
            // have keeps them apart, and they mean nothing here (Entra ID sends the
            // enterprise extension's, as it does to every application).
            None if path.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) => {
                let before_filter = path.find('[').unwrap_or(path.len());
                match path[..before_filter].rfind(':') {
                    Some(end) if path[..end].to_lowercase().starts_with("urn:ietf:params:scim:schemas:core:2.0:") => {
                        (None, &path[end + 1..])
                    }
                    // A URN is ASCII (RFC 8141).
                    Some(end) if path[..end].is_ascii() => (Some(path[..end].to_owned()), &path[end + 1..]),
                    _ => return Err(ScimError::bad("invalidPath", format!("{path:?} names no schema"))),
                }
            }
            None => (None, path),
        };
        let (head, filter, sub) = match rest.split_once('[') {
            Some((head, bracketed)) => {
                let (inner, after) =
                    bracketed.rsplit_once(']').ok_or_else(|| ScimError::bad("invalidPath", "a [ is not closed"))?;
                let inner = filter::parse(inner).map_err(|e| ScimError::bad("invalidFilter", e))?;
                let sub = after.trim_start_matches('.');
                (head, Some(inner), (!sub.is_empty()).then(|| sub.to_owned()))
            }
            None => match rest.split_once('.') {
                Some((a, s)) => (a, None, Some(s.to_owned())),
                None => (rest, None, None),
            },
        };
        if !attribute_name(head) || sub.as_deref().is_some_and(|s| !s.split('.').all(attribute_name)) {
            return Err(ScimError::bad("invalidPath", format!("{path:?} names no attribute")));
        }
        Ok(Self { extension, attribute: head.to_owned(), filter, sub })
    }

    /// The object holding the attribute (the extension's, created when needed).
    fn container<'a>(&self, resource: &'a mut Value) -> Option<&'a mut Map<String, Value>> {
        let root = resource.as_object_mut()?;
        match &self.extension {
            None => Some(root),
            Some(x) => root.entry(x.clone()).or_insert_with(|| Value::Object(Map::new())).as_object_mut(),
        }
    }

    fn key(container: &Map<String, Value>, name: &str) -> String {
        container.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| name.to_owned())
    }

    fn set(&self, resource: &mut Value, value: Value, add: bool) -> Result<(), ScimError> {
        let Some(container) = self.container(resource) else { return Ok(()) };
        let key = Self::key(container, &self.attribute);
        match (&self.filter, &self.sub) {
            (None, None) => {
                // guardianOf says whose guardian the person is: an add names them all (as
                // scim2-tester expects; RFC 7644 §3.5.2.1 would append, as members do).
                let add = add && !key.eq_ignore_ascii_case("guardianOf");
                let merged = match (container.remove(&key), value, add) {
                    (Some(Value::Array(mut old)), Value::Array(new), true) => {
                        for item in new {
                            if !old.contains(&item) {
                                old.push(item);
                            }
                        }
                        Value::Array(old)
                    }
                    (Some(Value::Object(mut old)), Value::Object(new), _) => {
                        old.extend(new);
                        Value::Object(old)
                    }
                    (_, value, _) => value,
                };
                container.insert(key, merged);
            }
            (None, Some(sub)) => {
                let slot = container.entry(key).or_insert_with(|| Value::Object(Map::new()));
                if let Some(object) = slot.as_object_mut() {
                    let sub_key = Self::key(object, sub);
                    object.insert(sub_key, value);
                }
            }
            (Some(filter), sub) => {
                let slot = container.entry(key).or_insert_with(|| Value::Array(Vec::new()));
                let Some(items) = slot.as_array_mut() else {
                    return Err(ScimError::bad("invalidPath", format!("{} is not multi-valued", self.attribute)));
                };
                let mut matched = false;
                for item in items.iter_mut().filter(|i| filter::matches(filter, i)) {
                    matched = true;
                    match (sub, item.as_object_mut()) {
                        (Some(sub), Some(object)) => {
                            let sub_key = Self::key(object, sub);
                            object.insert(sub_key, value.clone());
                        }
                        _ => *item = value.clone(),
                    }
                }
                if !matched {
                    // Entra ID replaces emails[type eq "work"].value on a User without it.
                    let mut item = Map::new();
                    if let Filter::Compare { path, op, value: v } = filter
                        && op == "eq"
                        && path.len() == 1
                    {
                        item.insert(path[0].clone(), v.clone());
                    }
                    match sub {
                        Some(sub) => {
                            item.insert(sub.clone(), value);
                        }
                        None => {
                            if let Value::Object(fields) = value {
                                item.extend(fields);
                            }
                        }
                    }
                    items.push(Value::Object(item));
                }
            }
        }
        Ok(())
    }

    fn remove(&self, resource: &mut Value) {
        let Some(container) = self.container(resource) else { return };
        let key = Self::key(container, &self.attribute);
        match (&self.filter, &self.sub) {
            (None, None) => {
                container.remove(&key);
            }
            (None, Some(sub)) => {
                if let Some(object) = container.get_mut(&key).and_then(Value::as_object_mut) {
                    let sub_key = Self::key(object, sub);
                    object.remove(&sub_key);
                }
            }
            (Some(filter), sub) => {
                if let Some(items) = container.get_mut(&key).and_then(Value::as_array_mut) {
                    match sub {
                        None => items.retain(|i| !filter::matches(filter, i)),
                        Some(sub) => {
                            for item in items.iter_mut().filter(|i| filter::matches(filter, i)) {
                                if let Some(object) = item.as_object_mut() {
                                    let sub_key = Self::key(object, sub);
                                    object.remove(&sub_key);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const X: &str = "urn:tutorchat:params:scim:schemas:extension:2.0:User";

    #[test]
    fn patch_operations_as_identity_providers_send_them() {
        let mut user = json!({ "userName": "a", "active": true, "emails": [{ "value": "a@x.example" }] });
        let body = json!({ "Operations": [
            { "op": "Replace", "path": "active", "value": "False" },
            { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.example" },
            { "op": "add", "value": { "displayName": "A B", "externalId": "E1" } },
            { "op": "add", "path": format!("{X}:guardianOf"), "value": [{ "value": "7" }] },
            { "op": "remove", "path": "externalId" },
        ]});
        apply(&mut user, &body, &[X]).expect("applied");
        assert_eq!(user["active"], "False");
        assert_eq!(user["emails"][1], json!({ "type": "work", "value": "b@x.example" }));
        assert_eq!(user["displayName"], "A B");
        assert!(user.get("externalId").is_none());
        assert_eq!(user[X]["guardianOf"], json!([{ "value": "7" }]));

        let mut group = json!({ "displayName": "g", "members": [{ "value": "1" }, { "value": "2" }] });
        let body = json!({ "Operations": [
            { "op": "remove", "path": "members[value eq \"1\"]" },
            { "op": "add", "path": "members", "value": [{ "value": "3" }, { "value": "2" }] },
        ]});
        apply(&mut group, &body, &[]).expect("applied");
        assert_eq!(group["members"], json!([{ "value": "2" }, { "value": "3" }]));
        assert!(apply(&mut group, &json!({ "Operations": [{ "op": "move" }] }), &[]).is_err());
    }

    #[test]
    fn malformed_paths_are_invalid_paths_not_panics() {
        let mut user = json!({ "userName": "a", "emails": [{ "value": "a@x.example" }] });
        let urn_cut_in_a_character = format!("{}é:guardianOf", &X[..X.len() - 1]);
        for path in ["emails]x[", "emails[", "]", "[type eq \"w\"]", &urn_cut_in_a_character, "aéééééé"] {
            let body = json!({ "Operations": [{ "op": "replace", "path": path, "value": "v" }] });
            let refused = apply(&mut user, &body, &[X]).expect_err(path);
            assert_eq!((refused.status.as_u16(), refused.scim_type), (400, Some("invalidPath")), "{path}");
        }
        let deep = format!("emails[{}type eq \"w\"{}]", "(".repeat(5_000), ")".repeat(5_000));
        let body = json!({ "Operations": [{ "op": "remove", "path": deep }] });
        assert!(apply(&mut user, &body, &[X]).is_err());
    }

    /// A path made of the pieces paths are made of, multibyte characters and brackets anywhere.
    fn path_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just(X.to_owned()),
            Just(X[..X.len() - 1].to_owned()),
            Just("urn:ietf:params:scim:schemas:core:2.0:User:".to_owned()),
            Just("emails".to_owned()),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(".".to_owned()),
            Just(":".to_owned()),
            Just("type eq \"work\"".to_owned()),
            Just("value".to_owned()),
            Just("é".to_owned()),
            Just("😀".to_owned()),
            Just("(".to_owned()),
            "\\PC{0,6}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        #[test]
        fn any_path_is_applied_or_refused_as_a_400_never_a_panic(path in path_text(), op in 0..3usize) {
            let op = ["add", "replace", "remove"][op];
            let mut user = json!({ "userName": "a", "emails": [{ "value": "a@x.example", "type": "work" }] });
            let body = json!({ "Operations": [{ "op": op, "path": path, "value": "v" }] });
            if let Err(refused) = apply(&mut user, &body, &[X]) {
                proptest::prop_assert_eq!(refused.status.as_u16(), 400);
            }
        }
    }
}

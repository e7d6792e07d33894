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

/// Where an operation writes: an attribute (of the resource or of an extension), maybe only
/// the values matching a filter, maybe one sub-attribute.
struct Target {
    extension: Option<String>,
    attribute: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

impl Target {
    fn parse(path: &str, extensions: &[&str]) -> Result<Self, ScimError> {
        // The whole extension: an attribute of the resource named by its URN.
        if let Some(x) = extensions.iter().find(|x| path.eq_ignore_ascii_case(x)) {
            return Ok(Self { extension: None, attribute: (*x).to_owned(), filter: None, sub: None });
        }
        let (extension, rest) =
            match extensions.iter().find(|x| path.len() > x.len() && path[..x.len()].eq_ignore_ascii_case(x)) {
                Some(x) => (Some((*x).to_owned()), path[x.len()..].trim_start_matches(':')),
                None if path.to_lowercase().starts_with("urn:ietf:params:scim:schemas:core:2.0:") => {
                    (None, path.rsplit_once(':').map(|(_, a)| a).unwrap_or(path))
                }
                None => (None, path),
            };
        let (head, filter, sub) = match rest.find('[') {
            Some(open) => {
                let close = rest.rfind(']').ok_or_else(|| ScimError::bad("invalidPath", "a [ is not closed"))?;
                let inner = filter::parse(&rest[open + 1..close]).map_err(|e| ScimError::bad("invalidFilter", e))?;
                let sub = rest[close + 1..].trim_start_matches('.');
                (&rest[..open], Some(inner), (!sub.is_empty()).then(|| sub.to_owned()))
            }
            None => match rest.split_once('.') {
                Some((a, s)) => (a, None, Some(s.to_owned())),
                None => (rest, None, None),
            },
        };
        if head.is_empty() {
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
}

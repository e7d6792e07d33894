//! What a SCIM client cannot make the server do: a filter nested thousands deep (whose
//! recursion would overflow a worker's stack and abort the replica) and a malformed PATCH path
//! are answered with SCIM's 400, and the replica keeps serving.

use serde_json::{Value, json};

use super::{EXTENSION, Scim, user_body};
use crate::helpers::TestApp;

/// `text` as a query parameter's value.
pub fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn nested(depth: usize) -> String {
    format!("{}userName eq \"ada@school.example\"{}", "(".repeat(depth), ")".repeat(depth))
}

fn assert_invalid_filter(status: u16, body: &Value) {
    assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidFilter")), "{body}");
    assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{body}");
}

#[tokio::test]
async fn a_filter_nested_5000_deep_is_an_invalid_filter_and_the_replica_keeps_serving() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let (status, ada) = scim.send("POST", "/Users", Some(user_body("ada", "E-1"))).await;
    assert_eq!(status, 201, "{ada}");
    let deep = nested(5_000);

    let search = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": deep });
    for path in ["/Users/.search", "/Groups/.search", "/.search"] {
        let (status, body) = scim.send("POST", path, Some(search.clone())).await;
        assert_invalid_filter(status, &body);
    }
    for path in ["/Users", "/Groups"] {
        let (status, body) = scim.send("GET", &format!("{path}?filter={}", encoded(&deep)), None).await;
        assert_invalid_filter(status, &body);
    }
    let (status, body) =
        scim.send("GET", &format!("/Users?filter={}", encoded(&"userName pr or ".repeat(400))), None).await;
    assert_invalid_filter(status, &body);

    // Still serving, and a filter within the bound is answered.
    let (status, found) = scim.send("GET", &format!("/Users?filter={}", encoded(&nested(10))), None).await;
    assert_eq!((status, found["totalResults"].as_i64()), (200, Some(1)), "{found}");
    assert_eq!(found["Resources"][0]["id"], ada["id"]);
}

#[tokio::test]
async fn a_malformed_patch_path_is_an_invalid_path_in_scims_shape() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let (_, ada) = scim.send("POST", "/Users", Some(user_body("ada", "E-1"))).await;
    let id = ada["id"].as_str().expect("id").to_owned();
    // A bracket closed before it opens; a multibyte character across the end of the
    // extension's URN.
    let cut_urn = format!("{}é", &EXTENSION[..EXTENSION.len() - 1]);
    for path in ["emails]x[", cut_urn.as_str(), &format!("{cut_urn}:guardianOf")] {
        let patch = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations": [{ "op": "replace", "path": path, "value": "x" }] });
        let (status, body) = scim.send("PATCH", &format!("/Users/{id}"), Some(patch)).await;
        assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidPath")), "{path}: {body}");
        assert_eq!(
            (body["schemas"][0].as_str(), body["status"].as_str()),
            (Some("urn:ietf:params:scim:api:messages:2.0:Error"), Some("400"))
        );
    }
    let deep = format!("emails[{}type eq \"work\"{}].value", "(".repeat(5_000), ")".repeat(5_000));
    let patch = json!({ "Operations": [{ "op": "replace", "path": deep, "value": "b@school.example" }] });
    let (status, body) = scim.send("PATCH", &format!("/Users/{id}"), Some(patch)).await;
    assert_eq!(status, 400, "{body}");

    let (status, unchanged) = scim.send("GET", &format!("/Users/{id}"), None).await;
    assert_eq!((status, unchanged), (200, ada), "nothing was changed");
}

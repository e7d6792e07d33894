//! SCIM 2.0 at `/scim/v2` (`src/scim`): the conformance client's run (`conformance`) and the
//! behaviour a school relies on (`users`).

mod conformance;
mod limits;
mod lists;
mod token;
mod users;

use serde_json::{Value, json};

use crate::helpers::TestApp;

pub const EXTENSION: &str = "urn:tutorchat:params:scim:schemas:extension:2.0:User";

/// A SCIM client of a test's server, with a token of scope `scim`.
pub struct Scim<'a> {
    app: &'a TestApp,
    token: String,
    /// Its name, as the log's events say it.
    pub client: String,
}

impl<'a> Scim<'a> {
    pub async fn new(app: &'a TestApp) -> Self {
        let token = app.provisioning_token(&["scim"]).await;
        let client: String = app
            .sql
            .query_one("SELECT name FROM provisioning_clients ORDER BY id DESC LIMIT 1", &[])
            .await
            .expect("the client")
            .get(0);
        Self { app, token, client }
    }

    /// `method` on `/scim/v2{path}` with a JSON body; the status and the JSON answered.
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.raw(method, path, &body.map(|b| b.to_string()).unwrap_or_default()).await
    }

    pub async fn raw(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request =
            self.app.http.request(method, self.app.url(&format!("/scim/v2{path}"))).bearer_auth(&self.token);
        if !body.is_empty() {
            request = request.header("content-type", "application/scim+json").body(body.to_owned());
        }
        let response = request.send().await.expect("SCIM request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// A User as an identity provider sends it.
pub fn user_body(name: &str, external_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{name}@school.example"),
        "externalId": external_id,
        "name": { "givenName": name, "familyName": "Example" },
        "emails": [{ "value": format!("{name}@school.example"), "type": "work", "primary": true }],
        "active": true,
    })
}

//! SCIM Users as a school relies on them: people created and found by their external id,
//! deactivated by PATCH, a PUT replayed changes nothing, guardians linked, roles from groups
//! and a role change refused for a person with chats; and SCIM's own errors.

use serde_json::{Value, json};

use super::{Scim, user_body};
use crate::helpers::{TestApp, User, token_for};
use crate::provisioning::replay_problems;

async fn count(app: &TestApp, kind: &str) -> i64 {
    app.sql.query_one("SELECT count(*) FROM events WHERE type = $1", &[&kind]).await.expect("count").get(0)
}

#[tokio::test]
async fn people_are_created_found_by_external_id_and_deactivated_by_patch() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let (status, ada) = scim.send("POST", "/Users", Some(user_body("ada", "E-1"))).await;
    assert_eq!(status, 201, "{ada}");
    let id = ada["id"].as_str().expect("id").to_owned();
    assert_eq!((ada["userName"].as_str(), ada["externalId"].as_str()), (Some("ada@school.example"), Some("E-1")));
    assert_eq!(ada["meta"]["location"].as_str().map(|l| l.ends_with(&format!("/scim/v2/Users/{id}"))), Some(true));
    scim.send("POST", "/Users", Some(user_body("bob", "E-2"))).await;

    let (status, found) = scim.send("GET", "/Users?filter=externalId%20eq%20%22E-1%22", None).await;
    assert_eq!((status, found["totalResults"].as_i64()), (200, Some(1)), "{found}");
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (_, page) = scim.send("GET", "/Users?startIndex=2&count=1", None).await;
    assert_eq!((page["totalResults"].as_i64(), page["itemsPerPage"].as_i64()), (Some(2), Some(1)), "{page}");
    assert_eq!(page["Resources"][0]["externalId"], "E-2");

    let off = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] });
    let (status, patched) = scim.send("PATCH", &format!("/Users/{id}"), Some(off.clone())).await;
    assert_eq!((status, patched["active"].as_bool()), (200, Some(false)), "{patched}");
    scim.send("PATCH", &format!("/Users/{id}"), Some(off)).await;
    assert_eq!(count(&app, "user_deactivated").await, 1, "deactivated once");
    let (_, inactive) = scim.send("GET", "/Users?filter=active%20eq%20false", None).await;
    assert_eq!(inactive["totalResults"], 1, "{inactive}");

    let client: Value = app
        .sql
        .query_one("SELECT payload FROM events WHERE type = 'user_provisioned' LIMIT 1", &[])
        .await
        .expect("e")
        .get(0);
    assert_eq!(client["client"], scim.client, "the audit names the client");
    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn the_same_put_twice_appends_one_event_and_delete_deactivates_and_forgets() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let (_, ada) = scim.send("POST", "/Users", Some(user_body("ada", "E-1"))).await;
    let id = ada["id"].as_str().expect("id").to_owned();
    let mut renamed = user_body("ada", "E-1");
    renamed["displayName"] = "Ada King".into();
    for _ in 0..2 {
        let (status, body) = scim.send("PUT", &format!("/Users/{id}"), Some(renamed.clone())).await;
        assert_eq!((status, body["displayName"].as_str()), (200, Some("Ada King")), "{body}");
    }
    assert_eq!(count(&app, "user_changed").await, 1, "the same PUT again changes nothing");

    let (status, _) = scim.send("DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, gone) = scim.send("GET", &format!("/Users/{id}"), None).await;
    assert_eq!((status, gone["status"].as_str()), (404, Some("404")), "{gone}");
    let row = app
        .sql
        .query_one(
            "SELECT deactivated_at IS NOT NULL, user_name, external_id FROM users WHERE id = $1::text::bigint",
            &[&id],
        )
        .await
        .expect("still there");
    assert!(row.get::<_, bool>(0), "deleted = deactivated");
    assert_eq!((row.get::<_, Option<String>>(1), row.get::<_, Option<String>>(2)), (None, None));
    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn roles_come_from_mapped_groups_and_guardians_from_guardian_of() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let (_, teacher) = scim.send("POST", "/Users", Some(user_body("tess", "T-1"))).await;
    let (_, student) = scim.send("POST", "/Users", Some(user_body("sam", "S-1"))).await;
    let (tid, sid) = (teacher["id"].as_str().expect("t").to_owned(), student["id"].as_str().expect("s").to_owned());
    let group = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Teachers",
                        "members": [{ "value": tid }] });
    let (status, body) = scim.send("POST", "/Groups", Some(group)).await;
    assert_eq!(status, 201, "{body}");
    let role = |id: String| {
        let app = &app;
        async move {
            let row = app.sql.query_one("SELECT role FROM users WHERE id = $1::text::bigint", &[&id]).await.expect("u");
            row.get::<_, String>(0)
        }
    };
    assert_eq!(role(tid.clone()).await, "teacher");
    assert_eq!(role(sid.clone()).await, "student", "in no mapped group: a student");

    // A guardian: their User names the student.
    let mut guardian = user_body("gwen", "G-1");
    guardian["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", super::EXTENSION]);
    guardian[super::EXTENSION] = json!({ "guardianOf": [{ "value": sid }] });
    let (status, body) = scim.send("POST", "/Users", Some(guardian)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body[super::EXTENSION]["guardianOf"][0]["value"], sid.as_str());
    let gid = body["id"].as_str().expect("g").to_owned();
    assert_eq!(role(gid).await, "guardian");
    let linked: Value = app
        .sql
        .query_one(
            "SELECT payload || jsonb_build_object('actor', actor_id) FROM events WHERE type = 'guardian_linked'",
            &[],
        )
        .await
        .expect("linked")
        .get(0);
    assert_eq!((linked["client"].as_str(), &linked["actor"]), (Some(scim.client.as_str()), &Value::Null));

    // A chat; the directory takes the teacher out of Teachers (they keep their role: in no
    // mapped group, a person keeps theirs), then puts them in Students: refused.
    let (t, s) = (tid.parse::<i64>().expect("t"), sid.parse::<i64>().expect("s"));
    app.chat(&User { id: t, token: token_for(t) }, &User { id: s, token: token_for(s) }).await;
    let group_id = body_id(&scim, "Teachers").await;
    let out = json!({ "Operations": [{ "op": "remove", "path": format!("members[value eq \"{tid}\"]") }] });
    let (status, body) = scim.send("PATCH", &format!("/Groups/{group_id}"), Some(out)).await;
    assert_eq!((status, body.get("members")), (200, None), "{body}");
    assert_eq!(role(tid.clone()).await, "teacher");
    let students = json!({ "displayName": "Students", "members": [{ "value": tid }] });
    let (status, refused) = scim.send("POST", "/Groups", Some(students)).await;
    assert_eq!((status, refused["scimType"].as_str()), (409, Some("mutability")), "{refused}");
    assert!(refused["detail"].as_str().is_some_and(|d| d.contains("role")), "{refused}");
    assert_eq!(role(tid).await, "teacher");
    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn scim_errors_have_scims_shape_a_bad_token_401_a_wrong_scope_403_a_bad_body_400() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let lessons = app.provisioning_token(&["lessons"]).await;
    for (token, status) in [("tcp_wrong", 401), (lessons.as_str(), 403)] {
        let response = app.http.get(app.url("/scim/v2/Users")).bearer_auth(token).send().await.expect("GET");
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["content-type"], "application/scim+json");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{body}");
        assert_eq!(body["status"], status.to_string());
    }
    let response = app.http.get(app.url("/scim/v2/Users")).send().await.expect("GET");
    assert_eq!(response.status(), 401, "no token");

    let (status, body) = scim.raw("POST", "/Users", "{not json").await;
    assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidSyntax")), "{body}");
    let (status, body) = scim.send("POST", "/Users", Some(json!({ "displayName": "no userName" }))).await;
    assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidValue")), "{body}");
    let (status, body) = scim.send("GET", "/Users?filter=userName%20zz%20%22x%22", None).await;
    assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidFilter")), "{body}");
    scim.send("POST", "/Users", Some(user_body("ada", "E-1"))).await;
    let (status, body) = scim.send("POST", "/Users", Some(user_body("ada", "E-9"))).await;
    assert_eq!((status, body["scimType"].as_str()), (409, Some("uniqueness")), "{body}");
}

/// The id of the group named `name`, found by a filter.
async fn body_id(scim: &Scim<'_>, name: &str) -> String {
    let (status, found) = scim.send("GET", &format!("/Groups?filter=displayName%20eq%20%22{name}%22"), None).await;
    assert_eq!((status, found["totalResults"].as_i64()), (200, Some(1)), "{found}");
    found["Resources"][0]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn an_erased_persons_user_name_leaves_the_log_and_scim() {
    let app = TestApp::spawn().await;
    let scim = Scim::new(&app).await;
    let admin = app.user("admin", "Admin").await;
    let (_, ada) = scim.send("POST", "/Users", Some(user_body("ada", "E-1"))).await;
    let id: i64 = ada["id"].as_str().and_then(|i| i.parse().ok()).expect("id");
    crate::governance::erase(&app, &admin, &User { id, token: token_for(id) }).await;
    let left: i64 = app
        .sql
        .query_one(
            "SELECT count(*) FROM events WHERE payload::text LIKE '%ada@school%' OR payload::text LIKE '%\"ada\"%'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "neither their address nor their userName stays in the log");
    let (status, _) = scim.send("GET", &format!("/Users/{id}"), None).await;
    assert_eq!(status, 404, "an erased person is no SCIM User");
    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}

//! A provisioning client's token: it works for its scopes only, a rotation replaces it, a
//! revocation ends it; each refusal has its own code.

use axum::extract::FromRequestParts;
use axum::http::Request;
use tutorchat::access::{ScimClient, TimetableClient};
use tutorchat::provisioning::clients;

use crate::helpers::TestApp;

/// The status and code a request with `authorization` gets from [`ScimClient`] (the client's
/// name when it is let in), and from [`TimetableClient`].
async fn asks(
    app: &TestApp,
    authorization: Option<&str>,
) -> (Result<String, (u16, String)>, Result<String, (u16, String)>) {
    let parts = || {
        let mut request = Request::builder().uri("/scim/v2/Users");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.body(()).expect("request").into_parts().0
    };
    let refusal = |e: tutorchat::AppError| {
        (e.status().as_u16(), serde_json::json!(e.code()).as_str().unwrap_or_default().to_owned())
    };
    let scim = ScimClient::from_request_parts(&mut parts(), &app.state).await.map(|c| c.0.name).map_err(refusal);
    let lessons =
        TimetableClient::from_request_parts(&mut parts(), &app.state).await.map(|c| c.0.name).map_err(refusal);
    (scim, lessons)
}

#[tokio::test]
async fn a_provisioning_token_works_for_its_scopes_until_rotated_or_revoked() {
    let app = TestApp::spawn().await;
    let scim_only = clients::create(&app.sql, "entra", &[tutorchat::provisioning::Scope::Scim]).await.expect("create");
    let both = app.provisioning_token(&["scim", "lessons"]).await;

    let bearer = |t: &str| format!("Bearer {t}");
    let (scim, lessons) = asks(&app, Some(&bearer(&scim_only))).await;
    assert_eq!(scim, Ok("entra".to_owned()));
    assert_eq!(lessons, Err((403, "provisioning_scope_missing".to_owned())));
    let (scim, lessons) = asks(&app, Some(&bearer(&both))).await;
    assert!(scim.is_ok() && lessons.is_ok(), "{scim:?} {lessons:?}");

    // No token, someone else's kind of token, a token nobody has.
    assert_eq!(asks(&app, None).await.0, Err((401, "unauthenticated".to_owned())));
    assert_eq!(asks(&app, Some("Basic eDp5")).await.0, Err((401, "unauthenticated".to_owned())));
    assert_eq!(asks(&app, Some("Bearer tcp_nothing")).await.0, Err((401, "provisioning_token_invalid".to_owned())));

    // A rotation: the new token works, the old one is unknown.
    let rotated = clients::rotate(&app.sql, "entra").await.expect("rotate");
    assert_ne!(rotated, scim_only);
    assert_eq!(asks(&app, Some(&bearer(&scim_only))).await.0, Err((401, "provisioning_token_invalid".to_owned())));
    assert_eq!(asks(&app, Some(&bearer(&rotated))).await.0, Ok("entra".to_owned()));

    // A revocation: refused as revoked, and it cannot be rotated back to life.
    clients::revoke(&app.sql, "entra").await.expect("revoke");
    assert_eq!(asks(&app, Some(&bearer(&rotated))).await.0, Err((401, "provisioning_client_revoked".to_owned())));
    assert!(clients::rotate(&app.sql, "entra").await.is_err(), "a revoked client stays revoked");

    // Only hashes are kept; the list says who is revoked.
    let stored: i64 = app
        .sql
        .query_one("SELECT count(*) FROM provisioning_clients WHERE encode(token_sha256, 'escape') LIKE 'tcp_%'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(stored, 0);
    let listed = clients::list(&app.sql).await.expect("list");
    let entra = listed.iter().find(|c| c.name == "entra").expect("listed");
    assert!(entra.revoked_at.is_some() && entra.rotated_at.is_some());
    assert!(
        clients::create(&app.sql, "entra", &[tutorchat::provisioning::Scope::Scim]).await.is_err(),
        "names are unique"
    );
}

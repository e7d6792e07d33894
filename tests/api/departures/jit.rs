//! Just-in-time accounts (`OIDC_PROVISION`), against the real test OpenID Provider: a first
//! sign-in with a verified email of an allowed domain creates the person, through the log
//! (`user_provisioned`, client `oidc`), with the role the setting gives; an unverified email
//! or another domain is refused as before (`unknown_user`).

use serde_json::{Value, json};

use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, TestProvider, school, status_and_json};
use tutorchat::config::{Provision, ProvisionedRole, Provisioning};

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    status_and_json(app.http.get(app.url("/api/me")).bearer_auth(token).send().await.expect("GET /api/me")).await
}

async fn token(provider: &TestProvider, email: &str, verified: bool, extra: Value) -> String {
    let mut claims = json!({ "sub": email, "email": email, "email_verified": verified, "name": "Новенький Ученик" });
    claims.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
    provider.sign(json!({ "alg": "RS256", "claims": claims })).await
}

fn provisioning(provision: Provision) -> Provisioning {
    Provisioning { provision, domains: vec!["school.test".into()] }
}

#[tokio::test]
async fn a_first_sign_in_with_a_verified_email_of_an_allowed_domain_creates_a_student() {
    let (a, provider, _) = school(|c| {
        if let Some(oidc) = c.auth.oidc.as_mut() {
            oidc.provisioning = provisioning(Provision::Students);
        }
    })
    .await;
    let access = token(&provider, "New.Pupil@School.test", true, json!({})).await;
    let (status, body) = me(&a, &access).await;
    assert_eq!((status, body["user"]["role"].as_str()), (200, Some("student")), "{body}");
    assert_eq!(body["user"]["name"], "Новенький Ученик");
    let id = body["user"]["id"].as_i64().expect("id");
    // Through the log, by the client `oidc`; a second sign-in finds them.
    let row = a
        .sql
        .query_one("SELECT actor_id, payload ->> 'client' FROM events WHERE type = 'user_provisioned'", &[])
        .await
        .expect("user_provisioned");
    assert_eq!((row.get::<_, Option<i64>>(0), row.get::<_, Option<String>>(1)), (None, Some("oidc".into())));
    assert_eq!(me(&a, &access).await.1["user"]["id"].as_i64(), Some(id));

    // Refused as before: an unverified email, another domain.
    for (email, verified) in [("unverified@school.test", false), ("someone@elsewhere.example", true)] {
        let (status, body) = me(&a, &token(&provider, email, verified, json!({})).await).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("unknown_user")), "{email}: {body}");
    }
    let count: i64 = a.sql.query_one("SELECT count(*) FROM users", &[]).await.expect("count").get(0);
    assert_eq!(count, 1, "only the one person was created");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_claim_to_role_map_gives_the_role_and_refuses_who_it_does_not_name() {
    let roles = vec![("staff".to_owned(), ProvisionedRole::Teacher), ("pupils".to_owned(), ProvisionedRole::Student)];
    let (a, provider, _) = school(|c| {
        if let Some(oidc) = c.auth.oidc.as_mut() {
            oidc.provisioning = provisioning(Provision::Claim { claim: "groups".into(), roles });
        }
    })
    .await;
    let teacher = token(&provider, "teacher@school.test", true, json!({ "groups": ["everyone", "staff"] })).await;
    let (status, body) = me(&a, &teacher).await;
    assert_eq!((status, body["user"]["role"].as_str()), (200, Some("teacher")), "{body}");
    let nobody = token(&provider, "visitor@school.test", true, json!({ "groups": ["everyone"] })).await;
    let (status, body) = me(&a, &nobody).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("unknown_user")), "{body}");
}

#[tokio::test]
async fn a_deactivated_person_is_refused_by_the_school_sign_in_and_their_provider_tokens_too() {
    use crate::sign_in::{browser, location, set_cookie, sign_in};
    let (a, provider, chat) = school(|_| {}).await;
    let (student, admin) = (a.user("student", "S").await, a.user("admin", "A").await);
    let email = a.email_of(&student).await;
    let (access, _) = provider.token(&email).await;
    assert_eq!(me(&a, &access).await.0, 200);
    assert_eq!(super::deactivate(&a, &admin, &student, true).await.0, 204);
    a.settled().await;

    let (status, body) = me(&a, &access).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("account_deactivated")), "{body}");
    let browser = browser();
    let back = sign_in(&browser, &chat, &email, "/").await;
    assert_eq!(location(&back), format!("{chat}/?auth_error=sign_in_denied"));
    assert!(set_cookie(&back, "access_token").is_none(), "no session");
}

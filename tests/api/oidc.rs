//! Signing in with the school's OpenID Provider, against a real one (`oidc-provider` from npm,
//! tests/oidc): its tokens on REST and on event streams of two replicas, its three signing
//! algorithms, every bad token, key rotation with streams open, the provider down, the
//! rate-limited refetch of keys, and the browser's authorization-code flow.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    status_and_json(app.http.get(app.url("/api/me")).bearer_auth(token).send().await.expect("GET /api/me")).await
}

#[tokio::test]
async fn a_provider_s_tokens_work_on_rest_and_on_the_event_streams_of_both_replicas() {
    let (a, provider, chat_url) = school(|_| {}).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.auth.oidc = Some(provider.config(&chat_url))).await;
    let (teacher, student) = (a.user("teacher", "Тимофей").await, a.user("student", "Соня").await);
    let chat = a.chat(&teacher, &student).await;
    // The provider's email is the user's, in another case: compared without it.
    let (access, id_token) = provider.token(&a.email_of(&student).await.to_uppercase()).await;
    for replica in [&a, &b] {
        let (status, body) = me(replica, &access).await;
        assert_eq!((status, body["user"]["id"].as_i64()), (200, Some(student.id)), "{body}");
        assert_eq!(body["user"]["role"], "student", "the role is the school's, from users");
    }
    // An ID token is for this chat's browser sign-in (aud = the client id), not for its API.
    let (status, body) = me(&a, &id_token).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().unwrap_or_default().contains("audience"), "{body}");

    // The provider's token opens a stream on B; a message sent on A arrives on it.
    let holder = User { id: student.id, token: access.clone() };
    let mut stream = b.stream(&holder, None).await;
    let sent = a.send(&teacher, chat, "Домашнее задание на завтра").await;
    let event = stream.event().await;
    assert_eq!((event.event.as_str(), event.json()["message"]["id"].as_i64()), ("new_message", Some(sent)));
    // And the student writes with it.
    let response = a
        .http
        .post(a.url("/api/messages"))
        .bearer_auth(&access)
        .json(&json!({ "chat_id": chat, "content": "Спасибо!" }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn tokens_signed_with_rs256_es256_and_eddsa_keys_are_accepted() {
    let (app, provider, _) = school(|_| {}).await;
    let student = app.user("student", "S").await;
    let email = app.email_of(&student).await;
    for alg in ["RS256", "ES256", "EdDSA"] {
        let token = provider
            .sign(json!({ "alg": alg, "claims": { "sub": "x", "email": email, "email_verified": true } }))
            .await;
        let (status, body) = me(&app, &token).await;
        assert_eq!((status, body["user"]["id"].as_i64()), (200, Some(student.id)), "{alg}: {body}");
    }
}

#[tokio::test]
async fn every_bad_token_is_refused_with_what_is_wrong_and_no_key_material() {
    let (app, provider, _) = school(|_| {}).await;
    let student = app.user("student", "S").await;
    let email = app.email_of(&student).await;
    let keys = provider.keys().await;
    let rsa = keys["keys"].as_array().expect("keys").iter().find(|k| k["kty"] == "RSA").expect("an RSA key").clone();
    let rsa_kid = rsa["kid"].as_str().expect("kid");
    let pem = keys["pem"][rsa_kid].as_str().expect("the RSA key's PEM").to_owned();
    let claims = |extra: Value| {
        let mut claims = json!({ "sub": "x", "email": email, "email_verified": true });
        claims.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        claims
    };
    let valid = provider.sign(json!({ "alg": "RS256", "claims": claims(json!({})) })).await;
    let mut tampered = valid.clone();
    let middle = tampered.find('.').expect("a dot") + 5;
    let flipped = if &tampered[middle..=middle] == "A" { "B" } else { "A" };
    tampered.replace_range(middle..=middle, flipped);
    let now = now() as i64;
    let cases: Vec<(&str, String, u16, &str, &str)> = vec![
        (
            "alg none",
            provider.sign(json!({ "alg": "none", "claims": claims(json!({})) })).await,
            401,
            "unauthenticated",
            "alg none",
        ),
        (
            "HS256 signed with the provider's public key (algorithm confusion)",
            provider.sign(json!({ "alg": "HS256", "hmac_key": pem, "claims": claims(json!({})) })).await,
            401,
            "unauthenticated",
            "signature is invalid",
        ),
        (
            "a key the provider does not publish",
            provider.sign(json!({ "alg": "RS256", "key": "foreign", "claims": claims(json!({})) })).await,
            401,
            "unauthenticated",
            "does not publish",
        ),
        (
            "an RSA key's kid on an ES256 token",
            provider.sign(json!({ "alg": "RS256", "header": { "alg": "ES256" }, "claims": claims(json!({})) })).await,
            401,
            "unauthenticated",
            "is an RSA key",
        ),
        ("a changed payload", tampered, 401, "unauthenticated", "signature is invalid"),
        (
            "expired beyond the leeway",
            provider.sign(json!({ "alg": "RS256", "claims": claims(json!({ "exp": now - 120 })) })).await,
            401,
            "token_expired",
            "expired",
        ),
        (
            "not valid yet",
            provider.sign(json!({ "alg": "RS256", "claims": claims(json!({ "nbf": now + 600 })) })).await,
            401,
            "unauthenticated",
            "not valid yet",
        ),
        (
            "for another audience",
            provider.sign(json!({ "alg": "ES256", "claims": claims(json!({ "aud": "another-api" })) })).await,
            401,
            "unauthenticated",
            "audience",
        ),
        (
            "from another issuer",
            provider.sign(json!({ "alg": "EdDSA", "claims": claims(json!({ "iss": "https://other.example" })) })).await,
            401,
            "unauthenticated",
            "issuer",
        ),
        (
            "no email claim",
            provider.sign(json!({ "alg": "RS256", "claims": { "sub": "x" } })).await,
            403,
            "unknown_user",
            "no email claim",
        ),
        (
            "a person the chat does not know",
            provider.sign(json!({ "alg": "RS256", "claims": claims(json!({ "email": "nobody@else.example" })) })).await,
            403,
            "unknown_user",
            "no user of this chat has the email nobody@else.example",
        ),
        (
            "an unverified email",
            provider.sign(json!({ "alg": "RS256", "claims": claims(json!({ "email_verified": false })) })).await,
            403,
            "unknown_user",
            "not verified",
        ),
        (
            "an email not said to be verified",
            provider.sign(json!({ "alg": "RS256", "claims": { "sub": "x", "email": email } })).await,
            403,
            "unknown_user",
            "not verified",
        ),
        (
            "an email verified only in words",
            provider.sign(json!({ "alg": "RS256", "claims": claims(json!({ "email_verified": "true" })) })).await,
            403,
            "unknown_user",
            "not verified",
        ),
    ];
    assert_eq!(me(&app, &valid).await.0, 200, "the valid token the bad ones are made from");
    let material: Vec<String> = [&rsa["n"], &rsa["e"]]
        .iter()
        .filter_map(|v| v.as_str())
        .map(|s| s.chars().take(24).collect())
        .chain(pem.lines().nth(1).map(str::to_owned))
        .filter(|s: &String| s.len() > 8)
        .collect();
    for (what, token, status, code, words) in cases {
        for path in ["/api/me", "/api/events/chat"] {
            let response = app.fresh.get(app.url(path)).bearer_auth(&token).send().await.expect("send");
            let (got, body) = status_and_json(response).await;
            assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{what} on {path}: {body}");
            let error = body["error"].as_str().unwrap_or_default();
            assert!(error.contains(words), "{what}: {error:?} should say {words:?}");
            for secret in &material {
                assert!(!body.to_string().contains(secret.as_str()), "{what}: the answer leaks key material: {body}");
            }
        }
    }
}

#[tokio::test]
async fn without_a_provider_only_the_shared_secret_s_tokens_are_accepted() {
    let port = free_port();
    let provider = TestProvider::start(&format!("http://127.0.0.1:{port}")).await;
    let app = TestApp::spawn().await;
    let token = provider
        .sign(json!({ "alg": "RS256", "claims": { "sub": "1", "email": "a@b.c", "email_verified": true } }))
        .await;
    let (status, body) = me(&app, &token).await;
    assert_eq!(status, 401);
    assert!(body["error"].as_str().unwrap_or_default().contains("accepts only HS256"), "{body}");
}

#[tokio::test]
async fn a_rotated_key_is_fetched_when_a_token_names_it_and_open_streams_keep_going() {
    let (a, provider, chat_url) = school(|_| {}).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.auth.oidc = Some(provider.config(&chat_url))).await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;
    let email = a.email_of(&student).await;
    let (old, _) = provider.token(&email).await;
    assert_eq!(me(&a, &old).await.0, 200);
    let mut streams = vec![
        a.stream(&User { id: student.id, token: old.clone() }, None).await,
        b.stream(&User { id: student.id, token: old.clone() }, None).await,
    ];

    let kids = provider.rotate().await;
    let (new, _) = provider.token(&email).await;
    let kid = tutorchat::auth::oidc::Peeked::of(&new).expect("a header").kid.expect("a kid");
    assert!(kids.contains(&kid), "the provider signs with its new key {kids:?}, not {kid}");
    for replica in [&a, &b] {
        assert_eq!(me(replica, &new).await.0, 200, "a token signed with the new key");
        assert_eq!(me(replica, &old).await.0, 200, "a token signed with the previous key, until it expires");
    }
    let sent = a.send(&teacher, chat, "after the rotation").await;
    for stream in &mut streams {
        let event = stream.event().await;
        assert_eq!(event.json()["message"]["id"].as_i64(), Some(sent), "the streams opened before the rotation go on");
    }
}

/// The fetches of keys this replica made from `issuer`, as /metrics counts them.
async fn key_fetches(app: &TestApp, issuer: &str) -> f64 {
    let metrics = app.metrics().await;
    metrics
        .lines()
        .filter(|l| l.starts_with("tutorchat_oidc_key_fetches_total{") && l.contains(&format!("issuer=\"{issuer}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn forged_key_ids_make_the_replica_ask_the_provider_at_most_once_per_period() {
    let (app, provider, _) = school(|c| {
        if let Some(oidc) = c.auth.oidc.as_mut() {
            oidc.keys_refetch = Duration::from_secs(600);
        }
    })
    .await;
    let student = app.user("student", "S").await;
    let email = app.email_of(&student).await;
    let (valid, _) = provider.token(&email).await;
    assert_eq!(me(&app, &valid).await.0, 200);
    let before = key_fetches(&app, &provider.issuer).await;
    for n in 0..20 {
        let forged = provider
            .sign(json!({ "alg": "RS256", "key": "foreign", "header": { "kid": format!("forged-{n}") }, "claims": { "sub": "x", "email": email, "email_verified": true } }))
            .await;
        assert_eq!(me(&app, &forged).await.0, 401);
    }
    let after = key_fetches(&app, &provider.issuer).await;
    assert!(after - before <= 1.0, "20 forged kids made {} fetches", after - before);
    assert_eq!(me(&app, &valid).await.0, 200, "known keys still verify");
}

#[tokio::test]
async fn with_the_provider_down_cached_keys_verify_and_unknown_keys_are_refused() {
    let (app, mut provider, _) = school(|_| {}).await;
    let student = app.user("student", "S").await;
    let email = app.email_of(&student).await;
    let (access, _) = provider.token(&email).await;
    let es256 = provider
        .sign(json!({ "alg": "ES256", "claims": { "sub": "x", "email": email, "email_verified": true } }))
        .await;
    let foreign =
        provider.sign(json!({ "alg": "RS256", "key": "foreign", "claims": { "sub": "x", "email": email, "email_verified": true } })).await;
    assert_eq!(me(&app, &access).await.0, 200);
    provider.stop().await;
    assert_eq!(me(&app, &access).await.0, 200, "signed with a cached key");
    assert_eq!(me(&app, &es256).await.0, 200, "signed with another cached key");
    let (status, body) = me(&app, &foreign).await;
    assert_eq!(status, 401, "{body}");
    // A replica that never reached the provider cannot verify its tokens: 503, try again;
    // the shared secret's tokens still work there.
    let fresh = TestApp::spawn_on(app.database.clone(), |c| c.auth.oidc = app.state.config.auth.oidc.clone()).await;
    let (status, body) = me(&fresh, &access).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("unavailable")), "{body}");
    assert_eq!(me(&fresh, &student.token).await.0, 200);
}

#[tokio::test]
async fn a_provider_token_s_stream_ends_when_the_token_expires() {
    let (app, provider, _) = school(|_| {}).await;
    let student = app.user("student", "S").await;
    let email = app.email_of(&student).await;
    let token =
        provider.sign(json!({ "alg": "ES256", "claims": { "sub": "x", "email": email, "email_verified": true, "exp": now() + 2 } })).await;
    let mut stream = open_stream(&app.fresh, &app.url("/api/events/chat"), &token, None).await;
    let started = std::time::Instant::now();
    stream.until_closed(Duration::from_secs(10)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "the stream outlived its token");
}

//! The browser's sign-in with the school's account, driven over HTTP as a browser would
//! (cookies, redirects one at a time) through a real OpenID Provider's login form: the session
//! it sets, where it may send the browser back to, and every way it fails.

use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::Value;

use crate::helpers::*;

/// A browser: its own cookies, and redirects seen one by one.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Signs in as `login` at the provider, from `/api/auth/login?return_to=…` to the chat's
/// answer to the callback (returned, not followed).
pub(crate) async fn sign_in(browser: &reqwest::Client, chat: &str, login: &str, return_to: &str) -> reqwest::Response {
    let start =
        browser.get(format!("{chat}/api/auth/login")).query(&[("return_to", return_to)]).send().await.expect("login");
    assert_eq!(start.status(), 303);
    let callback = at_the_provider(browser, chat, location(&start), login).await;
    browser.get(&callback).send().await.expect("callback")
}

/// From the provider's authorization URL `next`, signed in as `login` (its login form, unless
/// the browser has the provider's session already), to the chat's callback URL it sends the
/// browser back to (returned, not followed).
async fn at_the_provider(browser: &reqwest::Client, chat: &str, mut next: String, login: &str) -> String {
    loop {
        assert!(!next.is_empty(), "a redirect without a Location");
        if next.starts_with(&format!("{chat}/api/auth/callback")) {
            return next;
        }
        let response = browser.get(&next).send().await.expect("the provider");
        if response.status().is_redirection() {
            let to = location(&response);
            next = if to.starts_with('/') { format!("{}{to}", origin_of(&next)) } else { to };
            continue;
        }
        let form_url = next.clone();
        let html = response.text().await.expect("the login page");
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no form on {form_url}: {html}"))
            .replace("&amp;", "&");
        let action = if action.starts_with('/') { format!("{}{action}", origin_of(&form_url)) } else { action };
        let answer = browser.post(&action).form(&[("login", login), ("password", "any")]).send().await.expect("log in");
        assert!(answer.status().is_redirection(), "the login form's answer: {}", answer.status());
        let to = location(&answer);
        next = if to.starts_with('/') { format!("{}{to}", origin_of(&action)) } else { to };
    }
}

fn origin_of(url: &str) -> String {
    url::Url::parse(url).expect("a URL").origin().ascii_serialization()
}

#[tokio::test]
async fn signing_in_with_the_school_account_sets_a_session_and_signing_out_ends_the_provider_s() {
    let (app, provider, chat) = school(|c| c.auth.dev_login = false).await;
    let config: Value =
        app.http.get(app.url("/api/auth/config")).send().await.expect("config").json().await.expect("json");
    assert_eq!(config, serde_json::json!({ "oidc": true, "dev_login": false, "push": false }));
    let teacher = app.user("teacher", "Анна Петровна").await;
    let email = app.email_of(&teacher).await;

    // The first step: to the provider, with PKCE, a state and a nonce kept in a short-lived
    // HttpOnly cookie for the callback only.
    let browser = browser();
    let start = browser.get(app.url("/api/auth/login?return_to=/chats/7")).send().await.expect("login");
    assert_eq!(start.status(), 303);
    let to = url::Url::parse(&location(&start)).expect("a URL");
    assert!(to.as_str().starts_with(&provider.issuer), "{to}");
    let query: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(query.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert_eq!(query.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(query.get("redirect_uri"), Some(&format!("{chat}/api/auth/callback")));
    for parameter in ["state", "nonce", "code_challenge"] {
        assert!(query.get(parameter).is_some_and(|v| v.len() >= 16), "{parameter}: {query:?}");
    }
    let flow = set_cookie(&start, "tutorchat_sign_in").expect("the sign-in's cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/api/auth", "Max-Age=600"] {
        assert!(flow.contains(attribute), "{attribute} in {flow}");
    }

    // The whole way, through the provider's login form.
    let back = sign_in(&browser, &chat, &email, "/chats/7").await;
    assert_eq!(back.status(), 303);
    assert_eq!(location(&back), format!("{chat}/chats/7"));
    let session = set_cookie(&back, "access_token").expect("the session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    assert!(!session.contains("Secure"), "PUBLIC_URL is http here: {session}");
    let me: Value = browser.get(app.url("/api/me")).send().await.expect("me").json().await.expect("json");
    assert_eq!(me["user"]["id"].as_i64(), Some(teacher.id), "{me}");
    assert_eq!(me["user"]["name"], "Анна Петровна");

    // Signing out: the cookie goes, and the browser is sent to end the provider's session too.
    let out = browser.post(app.url("/api/logout")).header("origin", &chat).send().await.expect("logout");
    let cleared = set_cookie(&out, "access_token").expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let (status, body) = status_and_json(out).await;
    assert_eq!(status, 200, "{body}");
    let end = url::Url::parse(body["end_session_url"].as_str().expect("end_session_url")).expect("a URL");
    assert!(end.as_str().starts_with(&provider.issuer), "{end}");
    let query: std::collections::HashMap<_, _> = end.query_pairs().into_owned().collect();
    assert_eq!(query.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(query.get("post_logout_redirect_uri"), Some(&format!("{chat}/")));
    let page = browser.get(end.as_str()).send().await.expect("the provider's sign-out page");
    assert_eq!(page.status(), 200, "the provider accepts the sign-out request");
    assert_eq!(browser.get(app.url("/api/me")).send().await.expect("me").status(), 401);
}

#[tokio::test]
async fn a_sign_in_that_fails_comes_back_with_what_went_wrong_and_no_session() {
    let (app, _provider, chat) = school(|_| {}).await;
    let student = app.user("student", "S").await;
    let email = app.email_of(&student).await;

    // A person the chat does not know, and one whose email the provider has not verified.
    for login in ["stranger@elsewhere.example".to_owned(), format!("unverified+{email}")] {
        let browser = browser();
        let back = sign_in(&browser, &chat, &login, "/").await;
        assert_eq!(location(&back), format!("{chat}/?auth_error=unknown_user"), "{login}");
        assert!(set_cookie(&back, "access_token").is_none(), "{login}: no session");
    }

    // The provider refuses (the person cancelled): sign_in_denied.
    let browser = browser();
    let start = browser.get(app.url("/api/auth/login?return_to=/chats")).send().await.expect("login");
    let state = url::Url::parse(&location(&start))
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let back = browser
        .get(app.url("/api/auth/callback"))
        .query(&[("error", "access_denied"), ("state", state.as_str())])
        .send()
        .await
        .expect("callback");
    assert_eq!(location(&back), format!("{chat}/chats?auth_error=sign_in_denied"));

    // A code with another browser's state, or with no sign-in started in this browser.
    let start = browser.get(app.url("/api/auth/login")).send().await.expect("login");
    assert_eq!(start.status(), 303);
    let back = browser
        .get(app.url("/api/auth/callback"))
        .query(&[("code", "a-code"), ("state", "another-browser-s-state")])
        .send()
        .await
        .expect("callback");
    assert_eq!(location(&back), format!("{chat}/?auth_error=sign_in_failed"));
    let stranger = self::browser();
    let back = stranger.get(app.url("/api/auth/callback?code=a-code&state=whatever")).send().await.expect("callback");
    assert_eq!(location(&back), format!("{chat}/?auth_error=sign_in_failed"));

    // A finished sign-in cannot be replayed: its state was used up with its cookie.
    let browser = self::browser();
    let done = sign_in(&browser, &chat, &email, "/").await;
    assert!(set_cookie(&done, "access_token").is_some());
    let again = browser.get(done.url().as_str()).send().await.expect("the same callback again");
    assert_eq!(location(&again), format!("{chat}/?auth_error=sign_in_failed"));
}

#[tokio::test]
async fn return_to_never_leaves_the_chat_and_an_unconfigured_sign_in_is_404() {
    let (app, _provider, chat) = school(|_| {}).await;
    for elsewhere in
        ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http://127.0.0.1:1/", "javascript:alert(1)"]
    {
        let response =
            browser().get(app.url("/api/auth/login")).query(&[("return_to", elsewhere)]).send().await.expect("login");
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 400, "{elsewhere}: {body}");
        assert!(body["error"].as_str().unwrap_or_default().contains("return_to"), "{body}");
    }
    for own in ["/", "/chats/3?x=1", &format!("{chat}/chats")] {
        let response =
            browser().get(app.url("/api/auth/login")).query(&[("return_to", own)]).send().await.expect("login");
        assert_eq!(response.status(), 303, "{own}");
    }

    let plain = TestApp::spawn().await;
    let config: Value =
        plain.http.get(plain.url("/api/auth/config")).send().await.expect("config").json().await.expect("json");
    assert_eq!(config, serde_json::json!({ "oidc": false, "dev_login": true, "push": false }));
    for path in ["/api/auth/login", "/api/auth/callback?code=x&state=y"] {
        let (status, body) = status_and_json(browser().get(plain.url(path)).send().await.expect("send")).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{path}: {body}");
    }
}

/// One sign-in started is one session at most (security review L3): its state is used up by
/// the first callback, so the same flow's cookie with a second code from the provider (a copy
/// of the cookie, replayed within its ten minutes) signs nobody in.
#[tokio::test]
async fn a_sign_in_flow_signs_in_once_even_with_a_second_code() {
    let (app, _provider, chat) = school(|_| {}).await;
    let student = app.user("student", "S").await;
    let email = app.email_of(&student).await;
    let browser = browser();
    let start = browser.get(app.url("/api/auth/login")).send().await.expect("login");
    let flow = set_cookie(&start, "tutorchat_sign_in").expect("the flow's cookie");
    let flow = flow.split(';').next().expect("name=value").to_owned();
    let authorize = location(&start);
    let first = at_the_provider(&browser, &chat, authorize.clone(), &email).await;
    // The provider's session answers the same authorization request again: a second code.
    let second = at_the_provider(&browser, &chat, authorize, &email).await;
    assert_ne!(first, second, "two codes");
    let done = browser.get(&first).send().await.expect("callback");
    assert!(set_cookie(&done, "access_token").is_some(), "the first code signs in");
    let replay = self::browser().get(&second).header("cookie", &flow).send().await.expect("callback again");
    assert_eq!(location(&replay), format!("{chat}/?auth_error=sign_in_failed"));
    assert!(set_cookie(&replay, "access_token").is_none(), "no second session from one flow");
}

/// A session the school's sign-in started renews itself past a short `SESSION_TTL_SECS`, stays
/// the school's (signing out still ends the provider's session), and a copy of its refresh
/// cookie used after two rotations ends it.
#[tokio::test]
async fn a_school_sign_in_renews_past_a_short_session_ttl_and_stays_the_school_s() {
    let short = |c: &mut tutorchat::Config| {
        c.auth.dev_login = false;
        if let Some(client) = c.auth.oidc.as_mut().and_then(|o| o.client.as_mut()) {
            client.session_ttl = std::time::Duration::from_secs(2);
        }
    };
    let (app, _provider, chat) = school(short).await;
    let teacher = app.user("teacher", "Анна Петровна").await;
    let browser = browser();
    let back = sign_in(&browser, &chat, &app.email_of(&teacher).await, "/").await;
    let copy = set_cookie(&back, "tutorchat_refresh").expect("the refresh cookie");
    let copy = copy.split(';').next().expect("name=value").to_owned();
    assert!(set_cookie(&back, "access_token").is_some_and(|c| c.contains("Max-Age=2")));

    // Past the token's end (and its few seconds of leeway): refused as expired, then renewed.
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    let (status, body) = status_and_json(browser.get(app.url("/api/me")).send().await.expect("me")).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("token_expired")), "{body}");
    for _ in 0..2 {
        let renewed =
            browser.post(app.url("/api/sessions/refresh")).header("origin", &chat).send().await.expect("renew");
        assert_eq!(renewed.status(), 200);
    }
    let (status, body) = status_and_json(browser.get(app.url("/api/me")).send().await.expect("me")).await;
    assert_eq!((status, body["user"]["id"].as_i64()), (200, Some(teacher.id)), "{body}");

    // The copy taken at the sign-in, used after two rotations: the session ends.
    let stolen = reqwest::Client::new()
        .post(app.url("/api/sessions/refresh"))
        .header("cookie", copy)
        .header("origin", &chat)
        .send()
        .await
        .expect("the copy");
    assert_eq!(status_and_json(stolen).await.1["code"], "session_ended");
    let (status, body) = status_and_json(browser.get(app.url("/api/me")).send().await.expect("me")).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("session_ended")), "{body}");

    // A renewed session is still the school's: signing out ends the provider's too.
    let again = self::browser();
    sign_in(&again, &chat, &app.email_of(&teacher).await, "/").await;
    let renewed = again.post(app.url("/api/sessions/refresh")).header("origin", &chat).send().await.expect("renew");
    assert_eq!(renewed.status(), 200);
    let out = again.post(app.url("/api/logout")).header("origin", &chat).send().await.expect("logout");
    let (status, body) = status_and_json(out).await;
    assert!(status == 200 && body["end_session_url"].is_string(), "{status} {body}");
}

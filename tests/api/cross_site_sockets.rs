//! A WebSocket handshake is a GET that no CORS guards, and a browser sends the site's cookie
//! with it: a page of another origin must not open a socket as the visitor (cross-site
//! WebSocket hijacking). A cookie opens a socket only from the chat's own origin (or an
//! allowed one), and the sockets whose contract takes a token (`/api/v1/ws`, unet-chat's) take
//! no cookie at all. A Bearer token is no browser's doing, from any origin. Tried with a real
//! WebSocket client (Python's `websockets`).

use crate::helpers::{TestApp, WsClient};

/// What the handshake answered: `None` for 101 (the socket opened), else the refusal's status.
async fn handshake(url: String, headers: &[String]) -> Option<u64> {
    refusal(url, headers).await.map(|(status, _)| status)
}

/// The refusal's status and body, `None` if the socket opened.
async fn refusal(url: String, headers: &[String]) -> Option<(u64, String)> {
    let mut client = WsClient::start_with_headers(&[url], headers, false);
    let report = client.report(crate::helpers::PATIENCE).await;
    match report["event"].as_str() {
        Some("open") => None,
        Some("refused") => Some((report["status"].as_u64().expect("status"), report["body"].to_string())),
        _ => panic!("neither opened nor refused: {report}"),
    }
}

#[tokio::test]
async fn a_cookie_opens_no_socket_from_another_origin_and_none_where_the_contract_takes_a_token() {
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    a.settled().await;
    let cookie = format!("Cookie: access_token={}", student.token);
    let evil = "Origin: http://evil.example".to_owned();
    let own = format!("Origin: {}", a.url("").trim_end_matches('/'));
    let bearer = format!("Authorization: Bearer {}", student.token);
    let v1 = format!("ws://{}/api/v1/ws", a.addr);
    let unet = format!("ws://{}/api/unet-chat/ws/conversations/{chat}/", a.addr);

    // The token contracts: a cookie is no credential there, from any origin.
    for url in [&v1, &unet] {
        assert_eq!(handshake(url.clone(), &[cookie.clone(), evil.clone()]).await, Some(401), "{url} from evil");
        assert_eq!(handshake(url.clone(), &[cookie.clone(), own.clone()]).await, Some(401), "{url} by cookie");
        // A Bearer token opens it from anywhere: a page cannot make a browser send one.
        assert_eq!(handshake(url.clone(), &[bearer.clone(), evil.clone()]).await, None, "{url} by token");
    }

    // The marketplace's socket takes the school's cookie, from the chat's own origin only.
    let market = format!("ws://{}/api/chat/ws/{chat}?user_id={}", a.addr, student.id);
    let refused = refusal(market.clone(), &[cookie.clone(), evil]).await.expect("refused");
    assert!(refused.0 == 403 && refused.1.contains("cross_site_request"), "a cookie from another origin: {refused:?}");
    let from_own = refusal(market, &[cookie.clone(), own]).await;
    assert!(from_own.as_ref().is_none_or(|(_, body)| !body.contains("cross_site_request")), "{from_own:?}");
    let (status, body) = crate::helpers::status_and_json(
        a.http
            .post(a.url("/api/messages"))
            .header("cookie", format!("access_token={}", student.token))
            .header("origin", "http://evil.example")
            .json(&serde_json::json!({ "chat_id": chat, "content": "x" }))
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("cross_site_request")), "as REST refuses a write: {body}");
    let stored: i64 =
        a.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("count").get(0);
    assert_eq!(stored, 0, "nothing written by another origin");
}

//! Credentials the seeds' contracts put in URLs (`/api/v1/ws?token=`, the core stream's
//! `?token=`, a marketplace visitor's `?user_id=`, unet-chat's `?WWW-Authenticate=`, Engine.IO's
//! `sid`) reach none of nginx's logs, even when nginx writes the request line itself: an
//! upstream that cannot be reached, a refusal by its per-address limits.

use std::net::SocketAddr;

use crate::dialect_messenger::nginx::Nginx;
use crate::helpers::free_port;

#[tokio::test]
async fn no_credential_in_a_url_reaches_nginxs_logs_under_upstream_errors_and_limit_refusals() {
    let nobody = SocketAddr::from(([127, 0, 0, 1], free_port())); // no replica listens there
    let nginx = Nginx::start(&[nobody]).await;
    let (jwt, visitor, sid) =
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.SIGNATURE_SECRET", uuid::Uuid::new_v4(), "SID_SECRET");
    let paths = [
        format!("/api/v1/ws?token={jwt}"),
        format!("/api/events/chat?token={jwt}"),
        format!("/api/chat/ws/5?user_id={visitor}"),
        format!("/api/unet-chat/ws/conversations/5/?WWW-Authenticate=Bearer%20{jwt}"),
        format!("/socket.io/?EIO=4&transport=polling&sid={sid}"),
    ];
    let http = reqwest::Client::new();
    let url = |path: &String| format!("http://{}{path}", nginx.front);
    for path in &paths {
        let response = http.get(url(path)).send().await.expect("GET");
        assert_eq!(response.status(), 502, "{path}: the replica is down");
    }
    // Past the stream opens' burst (200, then 20 a second): nginx refuses from its limits.
    let all = (0..300).map(|i| http.get(url(&paths[i % paths.len()])).send());
    let statuses: Vec<u16> =
        futures::future::join_all(all).await.into_iter().map(|r| r.expect("GET").status().as_u16()).collect();
    assert!(statuses.contains(&429), "no request was refused by the limits: {statuses:?}");

    let access = std::fs::read_to_string(nginx.dir.join("access.log")).expect("nginx's access log");
    assert!(access.contains("/api/v1/ws") && access.contains(" 502 ") && access.contains(" 429 "), "{access}");
    let error = std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default();
    for (log, text) in [("access", &access), ("error", &error)] {
        for secret in ["SIGNATURE_SECRET", &visitor.to_string(), sid] {
            let leaked: Vec<&str> = text.lines().filter(|l| l.contains(secret)).take(3).collect();
            assert!(leaked.is_empty(), "nginx's {log} log holds a credential: {leaked:#?}");
        }
    }
}

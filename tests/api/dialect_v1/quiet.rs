//! Quiet hours on the socket: a teacher's message they hold is not dropped in silence; its
//! sender is told, in this contract's error frame, and until when.

use serde_json::json;

use crate::helpers::{TestApp, WsCredential};
use crate::quiet_hours::{EVENING, quiet};

#[tokio::test]
async fn a_message_quiet_hours_hold_is_told_to_its_sender_and_kept_for_the_morning() {
    let app = TestApp::spawn_with(quiet).await;
    let (teacher, student) = (app.user("teacher", "Учитель").await, app.user("student", "Ученик").await);
    let chat = app.chat(&teacher, &student).await;
    app.state.clock.set(EVENING);
    let mut socket = app.socket(&teacher, WsCredential::Header).await;
    socket.send("message", json!({ "conversation_id": chat.to_string(), "body": "Задание на завтра" })).await;
    let told = socket.frame("error").await;
    let text = told["error"].as_str().unwrap_or_default();
    assert!(text.contains("quiet hours") && text.contains("2036-11-26T05:00:00Z"), "{told}");
    let held: i64 = app.sql.query_one("SELECT count(*) FROM held_messages", &[]).await.expect("count").get(0);
    assert_eq!(held, 1, "held, not refused");
}

//! Quiet hours: a teacher's message they hold is not dropped in silence, on the socket (the
//! contract's `error` event) nor by opening a conversation with a message (`held_until`).

use serde_json::json;

use super::client::BOTH;
use super::{answer, connect};
use crate::helpers::TestApp;
use crate::quiet_hours::{EVENING, quiet};

#[tokio::test]
async fn a_message_quiet_hours_hold_is_told_to_its_sender_on_the_socket_and_by_opening() {
    let app = TestApp::spawn_with(quiet).await;
    let (teacher, student) = (app.user("teacher", "Учитель").await, app.user("student", "Ученик").await);
    let chat = app.chat(&teacher, &student).await;
    app.state.clock.set(EVENING);
    for transports in BOTH {
        let mut socket = connect(&app, &teacher, transports).await;
        socket.emit("send_message", json!({ "conversationId": chat, "content": "Задание на завтра" })).await;
        let told = socket.frame("error").await;
        let text = told["message"].as_str().unwrap_or_default();
        assert!(text.contains("quiet hours") && text.contains("2036-11-26T05:00:00Z"), "{transports:?}: {told}");
    }
    let open = app.http.post(app.url("/api/messenger/conversations")).bearer_auth(&teacher.token);
    let body = json!({ "participantId": student.id, "message": "И ещё одно" });
    let (status, data) = answer(open.json(&body).send().await.expect("POST")).await;
    assert_eq!((status, &data["held_until"]), (200, &json!("2036-11-26T05:00:00Z")), "{data}");
    let held: i64 = app.sql.query_one("SELECT count(*) FROM held_messages", &[]).await.expect("count").get(0);
    assert_eq!(held, 3, "held, not refused");
}

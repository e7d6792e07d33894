//! What a guest (a visitor of an inquiry link) may see of the people they talk to: their
//! messages, and nothing of their presence (a teacher's online hours are not a visitor's to
//! watch), on the stream, in the chat list and through the presence endpoint.

use serde_json::json;

use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn a_guest_sees_nobodys_presence_while_the_teacher_sees_theirs() {
    let app = TestApp::spawn().await;
    let (teacher, _, guest, chat) = crate::inquiries::inquiry(&app).await;
    let mut guest_stream = app.stream(&guest, Some("0")).await;
    let opened = guest_stream.event().await;
    assert_eq!(opened.event, "chat_created");
    assert_eq!(
        (&opened.json()["chat"]["participant"]["online"], &opened.json()["chat"]["participant"]["last_seen"]),
        (&json!(false), &json!(null)),
        "the guest's chat_created shows no presence of the teacher"
    );
    let question = guest_stream.event().await;
    assert_eq!(question.event, "new_message", "their question");

    // The teacher comes online (a stream opens): the guest's stream gets no presence signal,
    // only the teacher's message after it.
    let _teacher_stream = app.stream(&teacher, None).await;
    let answer = app.send(&teacher, chat, "Здравствуйте!").await;
    let next = guest_stream.any_event().await;
    assert_eq!(
        (next.event.as_str(), next.json()["message"]["id"].as_i64()),
        ("new_message", Some(answer)),
        "no presence before the message: {next:?}"
    );

    let (status, list) = status_and_json(app.get("/api/chats", &guest).send().await.expect("GET chats")).await;
    assert_eq!(status, 200);
    assert_eq!(list["chats"][0]["participant"]["online"], false, "the teacher is online, but not to a guest: {list}");
    // The presence endpoint is beyond a guest's confinement (their chat and nothing else).
    let (status, body) =
        status_and_json(app.get(&format!("/api/presence/{}", teacher.id), &guest).send().await.expect("GET")).await;
    assert_eq!(status, 403, "{body}");
    let (status, of_guest) =
        status_and_json(app.get(&format!("/api/presence/{}", guest.id), &teacher).send().await.expect("GET")).await;
    assert_eq!((status, of_guest["online"].as_bool()), (200, Some(true)), "the teacher sees the guest's");
}

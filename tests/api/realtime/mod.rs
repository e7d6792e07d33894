//! Real-time delivery across replicas: LISTEN/NOTIFY → hub → SSE, with lossless resume.
//! Every test runs two or three server instances on one database.

use crate::helpers::{Stream, TestApp, User};

mod connections;
mod delivery;
mod own_messages;
mod resume;
mod settling;
mod tickets;

struct World {
    a: TestApp,
    b: TestApp,
    teacher: User,
    student: User,
    admin: User,
    /// A participant of another chat only.
    outsider: User,
    other_teacher: User,
    chat: i64,
    other_chat: i64,
}

async fn world() -> World {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let (outsider, other_teacher) = (a.user("student", "Outsider").await, a.user("teacher", "Other teacher").await);
    let chat = a.chat(&teacher, &student).await;
    let other_chat = a.chat(&other_teacher, &outsider).await;
    World { a, b, teacher, student, admin, outsider, other_teacher, chat, other_chat }
}

/// The outsider's stream must not have received `forbidden`: a message in the outsider's own
/// chat is sent, and it must be the next thing the stream shows.
async fn assert_nothing_before_control(w: &World, stream: &mut Stream) {
    let control = w.b.send(&w.other_teacher, w.other_chat, "control").await;
    let event = stream.event().await;
    assert_eq!(
        event.json()["message"]["id"].as_i64(),
        Some(control),
        "the outsider saw something else first: {event:?}"
    );
}

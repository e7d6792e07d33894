//! Leaving and graduating (issue 50): a deactivated person's sessions and streams end on every
//! replica and they can no longer sign in; a departed teacher's direct chats are read-only
//! until an admin hands them to a successor (`chat_handed_over`), who reads the whole history;
//! a departed student's chats leave their teachers' inboxes for the archive; and, opt-in, a
//! first sign-in through the school's OpenID Provider creates the person (`OIDC_PROVISION`).

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

mod deactivation;
mod hand_over;
mod jit;
mod silence;

/// `POST path` as `user` with `body`: the status and the JSON answer (null for 204).
pub(crate) async fn post(app: &TestApp, user: &User, path: &str, body: Value) -> (u16, Value) {
    let response = app.http.post(app.url(path)).bearer_auth(&user.token).json(&body).send().await.expect("POST");
    if response.status() == 204 {
        return (204, Value::Null);
    }
    status_and_json(response).await
}

/// An admin deactivates (`on`) or reactivates `who`.
pub(crate) async fn deactivate(app: &TestApp, admin: &User, who: &User, on: bool) -> (u16, Value) {
    let verb = if on { "deactivate" } else { "reactivate" };
    post(app, admin, &format!("/api/admin/users/{}/{verb}", who.id), json!({})).await
}

/// An admin hands `chat` to `teacher`.
pub(crate) async fn hand_over(app: &TestApp, admin: &User, chat: i64, teacher: &User) -> (u16, Value) {
    post(app, admin, &format!("/api/admin/chats/{chat}/hand-over"), json!({ "teacher_id": teacher.id })).await
}

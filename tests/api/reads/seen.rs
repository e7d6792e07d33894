//! "Seen by N of M": a chat's read markers read whole (`GET /api/chats/{id}/read-markers`), with
//! which messages each member reads, by its members (an announcement's owner only) and admins;
//! live as markers move, by `messages_read` on every replica.

use serde_json::{Value, json};

use crate::announcements::all_my_students;
use crate::groups::{add, group};
use crate::guardians::set_link;
use crate::helpers::{TestApp, User, status_and_json};

async fn markers(app: &TestApp, by: &User, chat: i64) -> (u16, Value) {
    status_and_json(app.get(&format!("/api/chats/{chat}/read-markers"), by).send().await.expect("GET")).await
}

/// Who of the chat's members, the author aside, read message `id` and who may (N, M).
fn seen(markers: &Value, author: i64, id: i64) -> (usize, usize) {
    let readers: Vec<&Value> = markers["markers"]
        .as_array()
        .expect("markers")
        .iter()
        .filter(|m| m["user_id"] != author && m["since_message_id"].as_i64().expect("since") < id)
        .collect();
    let n = readers.iter().filter(|m| m["last_read_message_id"].as_i64().expect("marker") >= id).count();
    (n, readers.len())
}

#[tokio::test]
async fn a_groups_author_sees_who_read_each_message_live_on_both_replicas() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван").await;
    let (anna, boris, vera) =
        (a.user("student", "Анна").await, a.user("student", "Борис").await, a.user("student", "Вера").await);
    for student in [&anna, &boris, &vera] {
        a.chat(&teacher, student).await;
    }
    let chat = group(&a, &teacher, "7Б", &[&anna, &boris]).await;
    let first = a.send(&teacher, chat, "Контрольная в пятницу").await;
    assert_eq!(add(&a, &teacher, chat, vera.id).await.0, 201);
    let second = a.send(&teacher, chat, "Перенесли на понедельник").await;

    let (status, before) = markers(&b, &teacher, chat).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["chat_id"], json!(chat));
    let names: Vec<&str> =
        before["markers"].as_array().expect("markers").iter().map(|m| m["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["Анна", "Борис", "Вера", "Иван"], "every member, by name");
    // Вера joined after the first message: it is not hers to read, so it counts two, not three.
    assert_eq!((seen(&before, teacher.id, first), seen(&before, teacher.id, second)), ((0, 2), (0, 3)));

    // Анна reads through B; the author's stream on A hears it, and the markers say it.
    let mut author = a.stream(&teacher, None).await;
    assert_eq!(b.read(&anna, chat, Some(second)).await.status(), 204);
    let event = author.event().await;
    assert_eq!((event.event.as_str(), &event.json()["user_id"]), ("messages_read", &json!(anna.id)), "{event:?}");
    assert_eq!(event.json()["up_to_message_id"], json!(second));
    let (_, after) = markers(&a, &teacher, chat).await;
    assert_eq!((seen(&after, teacher.id, first), seen(&after, teacher.id, second)), ((1, 2), (1, 3)));

    // Вера reads too: her marker covers both, yet the first still is not hers to count.
    assert_eq!(a.read(&vera, chat, None).await.status(), 204);
    let (_, after) = markers(&b, &teacher, chat).await;
    assert_eq!((seen(&after, teacher.id, first), seen(&after, teacher.id, second)), ((1, 2), (2, 3)));
    // Nothing is written per message and reader: one marker row each.
    let rows: i64 = a
        .sql
        .query_one("SELECT count(*) FROM chat_participants WHERE chat_id = $1", &[&chat])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 4);
}

#[tokio::test]
async fn members_an_announcements_owner_and_admins_see_the_markers_nobody_else() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "Иван").await;
    let (anna, boris) = (app.user("student", "Анна").await, app.user("student", "Борис").await);
    let (admin, guardian, outsider) =
        (app.user("admin", "Завуч").await, app.user("guardian", "Мама Анны").await, app.user("teacher", "Ольга").await);
    let direct = app.chat(&teacher, &anna).await;
    app.chat(&teacher, &boris).await;
    let chat = group(&app, &teacher, "7Б", &[&anna, &boris]).await;
    let news = all_my_students(&app, &teacher, "Новости").await;
    assert_eq!(set_link(&app, &admin, guardian.id, anna.id, true).await.0, 201);

    for (who, user, chat, status) in [
        ("a member of a group", &anna, chat, 200),
        ("an admin", &admin, chat, 200),
        ("an admin, an announcement", &admin, news, 200),
        ("an announcement's owner", &teacher, news, 200),
        ("an announcement's member", &anna, news, 403),
        ("a direct chat's member", &anna, direct, 200),
        ("a guardian reading their child's chat", &guardian, direct, 403),
        ("someone else", &outsider, chat, 403),
        ("no such chat", &admin, i64::MAX, 403),
    ] {
        let (got, body) = markers(&app, user, chat).await;
        assert_eq!(got, status, "{who}: {body}");
        if status == 403 {
            assert_eq!(body["code"], "forbidden", "{who}: {body}");
        }
    }
    // A guardian in their own family chat with the teacher is its member.
    let (status, list) = status_and_json(app.get("/api/chats", &guardian).send().await.expect("GET")).await;
    let chats = list["chats"].as_array().expect("chats");
    let family = chats.iter().find(|c| c["kind"] == "family").and_then(|c| c["id"].as_i64()).expect("a family chat");
    assert_eq!((status, markers(&app, &guardian, family).await.0), (200, 200));
}

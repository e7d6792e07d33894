//! The REST routes: opening chats (a visitor's, a student's), who reads them, the seller's
//! grouped inbox and lists, marking read, deleting.

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use super::{answer, next, request, socket, visitor_chat, world};

#[tokio::test]
async fn health_answers_healthy_on_every_replica_without_a_credential() {
    let w = world().await;
    for app in [&w.a, &w.b] {
        let (status, body) = answer(app.http.get(app.url("/health")).send().await.expect("GET")).await;
        assert_eq!((status, body), (200, json!({ "status": "healthy", "service": "chat" })));
    }
}

#[tokio::test]
async fn a_visitor_opens_one_chat_per_listing_which_the_teacher_lists_and_nobody_else_reads() {
    let w = world().await;
    let uuid = Uuid::new_v4();
    let body = |seller: i64, buyer: &str| json!({ "iphone_id": w.listing, "seller_id": seller, "buyer_id": buyer, "buyer_is_registered": false });
    let open = |app, body| async move {
        answer(request(app, Method::POST, "/api/chat/chats", None).json(&body).send().await.expect("POST")).await
    };
    let (status, chat) = open(&w.a, body(w.teacher.id, &uuid.to_string())).await;
    assert_eq!(status, 201, "{chat}");
    let id = chat["id"].as_i64().expect("id");
    assert_eq!(
        (&chat["iphone_id"], &chat["seller_id"], &chat["buyer_id"], &chat["buyer_is_registered"]),
        (&json!(w.listing), &json!(w.teacher.id), &json!(uuid.to_string()), &json!(false)),
        "{chat}"
    );
    assert!(chat["created_at"].is_string() && chat["updated_at"].is_string(), "{chat}");
    // The same buyer and listing, on the other replica: the same chat.
    let (status, again) = open(&w.b, body(w.teacher.id, &uuid.to_string())).await;
    assert_eq!((status, again["id"].as_i64()), (200, Some(id)), "{again}");
    // In the teacher's core chat list, as an inquiry.
    let (_, listed) = answer(w.b.get("/api/chats", &w.teacher).send().await.expect("GET")).await;
    let kinds: Vec<(i64, &str)> = listed["chats"]
        .as_array()
        .expect("chats")
        .iter()
        .map(|c| (c["id"].as_i64().unwrap_or(0), c["kind"].as_str().unwrap_or("")))
        .collect();
    assert!(kinds.contains(&(id, "inquiry")), "{listed}");
    // Another seller's listing, an unknown listing (one answer), a buyer id that is not a UUID.
    assert_eq!(open(&w.a, body(w.other_teacher.id, &Uuid::new_v4().to_string())).await.0, 404);
    let unknown = json!({ "iphone_id": 999_999, "seller_id": w.teacher.id, "buyer_id": Uuid::new_v4().to_string(), "buyer_is_registered": false });
    assert_eq!(open(&w.a, unknown).await.0, 404);
    assert_eq!(open(&w.a, body(w.teacher.id, "user_123")).await.0, 400);
    let chats: i64 = w.a.sql.query_one("SELECT count(*) FROM marketplace_chats", &[]).await.expect("count").get(0);
    assert_eq!(chats, 1, "nothing opened by the refusals");

    // Reading it: the visitor by UUID, the teacher and an admin signed in; nobody else.
    w.a.send(&w.teacher, id, "<b>Да</b>, места есть").await;
    let path = format!("/api/chat/chats/{id}/messages");
    let read = |app, query: String, user| {
        let path = format!("{path}{query}");
        async move { answer(request(app, Method::GET, &path, user).send().await.expect("GET")).await }
    };
    let (status, messages) = read(&w.b, format!("?user_id={uuid}"), None).await;
    assert_eq!(status, 200, "{messages}");
    assert_eq!(messages[0]["message_text"], "&lt;b&gt;Да&lt;/b&gt;, места есть", "HTML-escaped: {messages}");
    assert_eq!((&messages[0]["sender_id"], &messages[0]["is_read"]), (&json!(w.teacher.id.to_string()), &json!(false)));
    assert_eq!(read(&w.a, String::new(), Some(&w.teacher)).await.0, 200);
    assert_eq!(read(&w.a, String::new(), Some(&w.admin)).await.0, 200);
    assert_eq!(read(&w.a, format!("?user_id={}", Uuid::new_v4()), None).await.0, 401, "an unknown visitor");
    assert_eq!(read(&w.a, String::new(), Some(&w.other_teacher)).await.0, 403);
    assert_eq!(
        read(&w.a, format!("?user_id={}", w.teacher.id), Some(&w.other_teacher)).await.0,
        403,
        "user_id not the cookie's"
    );
    assert_eq!(read(&w.a, String::new(), None).await.0, 401);
    let (_, core) = answer(w.a.get(&format!("/api/chats/{id}/messages"), &w.teacher).send().await.expect("GET")).await;
    assert_eq!(core["messages"][0]["content"], "<b>Да</b>, места есть", "the core keeps the text as written");
}

#[tokio::test]
async fn a_registered_buyer_gets_the_pairs_lesson_chat_and_only_after_a_lesson() {
    let w = world().await;
    let body = |buyer: &crate::helpers::User| json!({ "iphone_id": w.listing, "seller_id": w.teacher.id, "buyer_id": buyer.id.to_string(), "buyer_is_registered": true });
    let a = &w.a;
    let open = |user, body| async move {
        answer(request(a, Method::POST, "/api/chat/chats", user).json(&body).send().await.expect("POST")).await
    };
    let (status, chat) = open(Some(&w.student), body(&w.student)).await;
    assert_eq!((status, chat["id"].as_i64()), (201, Some(w.lesson_chat)), "{chat}");
    assert_eq!((&chat["buyer_id"], &chat["buyer_is_registered"]), (&json!(w.student.id.to_string()), &json!(true)));
    assert_eq!(open(Some(&w.student), body(&w.student)).await.0, 200, "found the second time");
    assert_eq!(open(Some(&w.lone_student), body(&w.lone_student)).await.0, 403, "no completed lesson");
    assert_eq!(open(Some(&w.lone_student), body(&w.student)).await.0, 403, "somebody else's id");
    assert_eq!(open(None, body(&w.student)).await.0, 401);
    let chats: i64 = w.a.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!(chats, 1, "no chat created for a buyer without a lesson");
    // The student's list has it, as opening answered it.
    let (status, mine) = answer(
        request(
            &w.b,
            Method::GET,
            &format!("/api/chat/chats/my?user_id={}&is_seller=false", w.student.id),
            Some(&w.student),
        )
        .send()
        .await
        .expect("GET"),
    )
    .await;
    assert_eq!((status, mine.as_array().map(Vec::len)), (200, Some(1)), "{mine}");
    assert_eq!(mine[0]["id"], json!(w.lesson_chat));
}

#[tokio::test]
async fn the_sellers_inbox_counts_unread_exactly_and_a_deleted_chat_leaves_only_the_sellers_lists() {
    let w = world().await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let public: String =
        w.a.sql.query_one("SELECT buyer_public::text FROM marketplace_chats", &[]).await.expect("row").get(0);
    let mut visitor = socket(&w.b, chat, &uuid.to_string(), None).await;
    for text in ["Здравствуйте", "Есть места?"] {
        visitor
            .send_text(&json!({ "type": "message", "message_text": text, "sender_is_registered": true }).to_string())
            .await;
        assert_eq!(next(&mut visitor).await["message"]["message_text"], text);
    }
    let (a, seller) = (&w.a, w.teacher.id);
    let grouped = |user| async move {
        let path = format!("/api/chat/chats/seller/{seller}/grouped");
        answer(request(a, Method::GET, &path, user).send().await.expect("GET")).await
    };
    let (status, inbox) = grouped(Some(&w.teacher)).await;
    assert_eq!(status, 200, "{inbox}");
    let entry = &inbox[w.listing.to_string()][0];
    assert_eq!(
        (&entry["id"], &entry["buyer_id"], &entry["unread_count"], &entry["last_message"]),
        (&json!(chat), &json!(public), &json!(2), &json!("Есть места?")),
        "{inbox}"
    );
    assert_eq!(grouped(Some(&w.other_teacher)).await.0, 403);
    let records = || async {
        let sql = "SELECT count(*) FROM access_records WHERE chat_id = $1 AND reader_id = $2";
        w.a.sql.query_one(sql, &[&chat, &w.admin.id]).await.expect("count").get::<_, i64>(0)
    };
    assert_eq!(records().await, 0);
    assert_eq!(grouped(Some(&w.admin)).await.0, 200);
    assert_eq!(records().await, 1, "an admin read the inbox's last message unrecorded");
    // The teacher reads it; their count is 0, and the visitor's messages read.
    let read =
        request(&w.b, Method::POST, &format!("/api/chat/chats/{chat}/read?user_id={}", w.teacher.id), Some(&w.teacher));
    assert_eq!(answer(read.send().await.expect("POST")).await.0, 204);
    w.a.settled().await;
    assert_eq!(grouped(Some(&w.teacher)).await.1[w.listing.to_string()][0]["unread_count"], 0);
    let path = format!("/api/chat/chats/{chat}/messages?user_id={uuid}");
    let (_, messages) = answer(request(&w.a, Method::GET, &path, None).send().await.expect("GET")).await;
    assert_eq!(messages[0]["is_read"], true, "{messages}");
    assert_eq!(messages[0]["sender_id"], uuid.to_string(), "a visitor is named by their UUID");

    // Deleting: another teacher 403; the seller 204, then it is gone from the seller's lists only.
    let delete = |user| request(&w.a, Method::DELETE, &format!("/api/chat/chats/{chat}"), user).send();
    assert_eq!(answer(delete(Some(&w.other_teacher)).await.expect("DELETE")).await.0, 403);
    assert_eq!(answer(delete(Some(&w.teacher)).await.expect("DELETE")).await.0, 204);
    w.b.settled().await;
    assert_eq!(grouped(Some(&w.teacher)).await.1, json!({}));
    let sold = format!("/api/chat/chats/my?user_id={}&is_seller=true", w.teacher.id);
    assert_eq!(
        answer(request(&w.b, Method::GET, &sold, Some(&w.teacher)).send().await.expect("GET")).await.1,
        json!([])
    );
    let bought = format!("/api/chat/chats/my?user_id={uuid}&is_seller=false");
    let (status, bought) = answer(request(&w.b, Method::GET, &bought, None).send().await.expect("GET")).await;
    assert_eq!((status, bought[0]["id"].as_i64()), (200, Some(chat)), "the buyer keeps it");
    let (status, all) = answer(w.b.get("/api/admin/chats", &w.admin).send().await.expect("GET")).await;
    assert!(status == 200 && all.to_string().contains(&format!("\"id\":{chat}")), "admins still read it: {all}");
    let stored: i64 =
        w.a.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("count").get(0);
    assert_eq!(stored, 2, "nothing removed");
    // A seller's list needs their cookie.
    assert_eq!(answer(request(&w.b, Method::GET, &sold, None).send().await.expect("GET")).await.0, 401);
}

#[tokio::test]
async fn erasing_a_visitor_forgets_the_uuid_that_was_their_credential() {
    let w = world().await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let guest: i64 =
        w.a.sql
            .query_one("SELECT buyer_id FROM marketplace_chats WHERE buyer_key = sha256(uuid_send($1))", &[&uuid])
            .await
            .expect("the visitor's chat")
            .get(0);
    let guest = crate::helpers::User { id: guest, token: String::new() };
    crate::governance::erase(&w.a, &w.admin, &guest).await;
    let kept =
        w.a.sql
            .query_one("SELECT count(*) FROM marketplace_chats WHERE buyer_key = sha256(uuid_send($1))", &[&uuid])
            .await;
    assert_eq!(kept.expect("count").get::<_, i64>(0), 0, "the UUID is kept");
    let path = format!("/api/chat/chats/{chat}/messages?user_id={uuid}");
    assert_eq!(answer(request(&w.a, Method::GET, &path, None).send().await.expect("GET")).await.0, 401);
}

//! What opening by a listing's number may reveal and who a visitor's UUID speaks for: only a
//! link its teacher listed opens without its token, every other listing is one 404 and only
//! within the address's limit, a block follows the visitor, and the UUID a visitor came with
//! is theirs alone (the seller and admins know them by a public one that opens nothing).

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{World, answer, next, request, socket, visitor_chat, world, world_with};
use crate::helpers::TestApp;

/// An anonymous open of `listing` as `seller`'s by `buyer`, on `app`.
async fn open(app: &TestApp, listing: i64, seller: i64, buyer: &str) -> (u16, Value) {
    let body = json!({ "iphone_id": listing, "seller_id": seller, "buyer_id": buyer, "buyer_is_registered": false });
    answer(request(app, Method::POST, "/api/chat/chats", None).json(&body).send().await.expect("POST")).await
}

#[tokio::test]
async fn only_a_listed_link_opens_by_its_number_and_every_other_listing_is_one_404_within_the_limit() {
    let w = world_with(|c| {
        c.rate.inquiry_opens_per_address_per_min = 3;
        c.rate.inquiry_opens_per_min = 100;
    })
    .await;
    // A link the teacher shared by its token, never listed.
    let post = w.a.http.post(w.a.url("/api/inquiry-links")).bearer_auth(&w.teacher.token);
    let (status, unlisted) = answer(post.json(&json!({ "title": "Личная ссылка" })).send().await.expect("POST")).await;
    assert_eq!((status, &unlisted["listed"]), (201, &json!(false)), "{unlisted}");
    let unlisted = unlisted["id"].as_i64().expect("id");
    let buyer = Uuid::new_v4().to_string();
    let refusals = [
        open(&w.a, unlisted, w.teacher.id, &buyer).await,
        open(&w.a, w.listing, w.other_teacher.id, &buyer).await,
        open(&w.a, 999_999, w.teacher.id, &buyer).await,
    ];
    for (status, body) in &refusals {
        assert_eq!((*status, &body["code"]), (404, &json!("not_found")), "unlisted, another's, unknown alike: {body}");
    }
    // Those took the address's allowance: the next open, a good one, is refused unlooked-at.
    let (status, limited) = open(&w.a, w.listing, w.teacher.id, &buyer).await;
    assert_eq!(status, 429, "{limited}");
    // A student gets the same 404 for another seller's listing, not a 403 that names its seller.
    let registered = json!({ "iphone_id": w.listing, "seller_id": w.other_teacher.id, "buyer_id": w.student.id.to_string(), "buyer_is_registered": true });
    let post = request(&w.b, Method::POST, "/api/chat/chats", Some(&w.student)).json(&registered);
    assert_eq!(answer(post.send().await.expect("POST")).await.0, 404);
    let opened: i64 = w.a.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!(opened, 1, "only the lesson chat: no refusal opened anything");
    // The other replica's allowance is its own: the listed link opens there.
    assert_eq!(open(&w.b, w.listing, w.teacher.id, &buyer).await.0, 201);
}

#[tokio::test]
async fn a_visitor_the_teacher_blocked_is_refused_by_their_uuid_wherever_they_come_from() {
    // No address rule at all: only who the visitor is can refuse them.
    let w = world_with(|c| c.inquiry.block_address = std::time::Duration::ZERO).await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let block = w.a.http.post(w.a.url(&format!("/api/chats/{chat}/block"))).bearer_auth(&w.teacher.token);
    let block = block.send().await.expect("POST");
    assert_eq!(answer(block).await.0, 204);
    let (status, refused) = open(&w.b, w.listing, w.teacher.id, &uuid.to_string()).await;
    assert_eq!((status, &refused["code"]), (403, &json!("visitor_blocked")), "{refused}");
}

/// The public UUID the seller and admins know chat `chat`'s visitor by.
async fn public_of(w: &World, chat: i64) -> String {
    let sql = "SELECT buyer_public::text FROM marketplace_chats WHERE chat_id = $1";
    w.a.sql.query_one(sql, &[&chat]).await.expect("the visitor's row").get(0)
}

#[tokio::test]
async fn the_seller_and_admins_know_a_visitor_by_a_public_uuid_that_opens_nothing() {
    let w = world().await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let public = public_of(&w, chat).await;
    assert_ne!(public, uuid.to_string());
    let mut visitor = socket(&w.a, chat, &uuid.to_string(), None).await;
    let mut teacher = socket(&w.b, chat, &w.teacher.id.to_string(), Some(&w.teacher)).await;
    visitor.send_text(&json!({ "type": "message", "message_text": "Здравствуйте" }).to_string()).await;
    assert_eq!(next(&mut teacher).await["message"]["sender_id"], public, "the seller's frame");
    assert_eq!(next(&mut visitor).await["message"]["sender_id"], uuid.to_string(), "the visitor's own");

    let a = &w.a;
    let get = |path: String, user| async move {
        answer(request(a, Method::GET, &path, user).send().await.expect("GET")).await.1
    };
    let inbox = get(format!("/api/chat/chats/seller/{}/grouped", w.teacher.id), Some(&w.teacher)).await;
    assert_eq!(inbox[w.listing.to_string()][0]["buyer_id"], public, "{inbox}");
    let sold = get(format!("/api/chat/chats/my?user_id={}&is_seller=true", w.teacher.id), Some(&w.teacher)).await;
    assert_eq!(sold[0]["buyer_id"], public, "{sold}");
    let history = get(format!("/api/chat/chats/{chat}/messages"), Some(&w.admin)).await;
    assert_eq!(history[0]["sender_id"], public, "an admin's history: {history}");
    let own = get(format!("/api/chat/chats/my?user_id={uuid}"), None).await;
    assert_eq!(own[0]["buyer_id"], uuid.to_string(), "the visitor's own list: {own}");
    // The public UUID is nobody's credential.
    let path = format!("/api/chat/chats/{chat}/messages?user_id={public}");
    assert_eq!(answer(request(&w.a, Method::GET, &path, None).send().await.expect("GET")).await.0, 401);
    // Nor is the UUID kept where a reader of the database would find it: only its hash.
    let kept = "SELECT count(*) FILTER (WHERE buyer_key = sha256(uuid_send($1::text::uuid))),
                       count(*) FILTER (WHERE m::text LIKE '%' || $1 || '%') FROM marketplace_chats m";
    let row = w.a.sql.query_one(kept, &[&uuid.to_string()]).await.expect("kept");
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1, 0));
}

#[tokio::test]
async fn a_visitors_uuid_is_a_random_one_never_the_nil_or_one_made_from_a_clock_or_a_name() {
    let w = world().await;
    for buyer in [
        "00000000-0000-0000-0000-000000000000",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    ] {
        let (status, refused) = open(&w.a, w.listing, w.teacher.id, buyer).await;
        assert_eq!(status, 400, "{buyer}: {refused}");
    }
    let opened: i64 = w.a.sql.query_one("SELECT count(*) FROM marketplace_chats", &[]).await.expect("count").get(0);
    assert_eq!(opened, 0);
}

#[tokio::test]
async fn a_visitors_list_is_read_within_their_allowance_and_holds_only_chats_their_uuid_still_opens() {
    let w = world_with(|c| {
        c.rate.reads_per_sec = 1;
        c.rate.reads_burst = 3;
    })
    .await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let path = format!("/api/chat/chats/my?user_id={uuid}");
    let mine = || async { answer(request(&w.a, Method::GET, &path, None).send().await.expect("GET")).await };
    let (status, listed) = mine().await;
    assert_eq!((status, listed[0]["id"].as_i64()), (200, Some(chat)), "{listed}");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(mine().await.0);
    }
    assert!(statuses.contains(&429), "a visitor's list reads within RATE_READS_PER_SEC: {statuses:?}");
    // Once the inquiry is closed (the link withdrawn), the UUID opens it no more, nor lists it.
    let revoke = w.b.http.delete(w.b.url(&format!("/api/inquiry-links/{}", w.listing))).bearer_auth(&w.teacher.token);
    assert_eq!(answer(revoke.send().await.expect("DELETE")).await.0, 204);
    // Asked of the other replica, whose allowance is its own.
    let (status, listed) = answer(request(&w.b, Method::GET, &path, None).send().await.expect("GET")).await;
    assert_eq!((status, listed), (200, json!([])));
}

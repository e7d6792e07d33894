//! A mention notifies even a muted chat: the person gets the Web Push and the webhook notice
//! that muting withholds from the chat's other messages, marked `mentioned`.

use std::time::Duration;

use crate::governance::audit_is_clean;
use crate::helpers::{PushReceiver, Receiver, TestApp, User};
use crate::mute_archive::mute::{browser, notify, pushes_to, settled_notices};
use crate::mute_archive::set;

#[tokio::test]
async fn mute_withholds_the_push_and_the_webhook_notice_but_not_a_mention() {
    let receiver = PushReceiver::start().await;
    let (webhook, url) = Receiver::start().await;
    let config = notify(&receiver, &url);
    let a = TestApp::spawn_with(|c| c.notify = config.clone()).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.notify = config).await;
    let teacher = a.user("teacher", "Иван Петров").await;
    let (maria, boris) = (a.user("student", "Мария").await, a.user("student", "Борис").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&maria, &boris]).await;
    let marias = browser(&b, &receiver, &maria).await;
    let to = |user: &User| {
        let id = user.id;
        move |calls: &[crate::helpers::Call]| calls.iter().filter(|c| c.json()["user_id"] == id).count()
    };

    // Both students offline; Мария muted the group. A message to all: Борис is told, she is not.
    assert_eq!(set(&b, &maria, chat, "mute", true).await, (201, None));
    a.send(&teacher, chat, "Завтра контрольная").await;
    let calls = webhook.wait_for(1, Duration::from_millis(0)).await;
    assert_eq!(to(&boris)(&calls), 1, "Борис, who did not mute it, is told: {calls:?}");
    assert_eq!(calls[0].json()["mentioned"], false);
    assert_eq!(settled_notices(&a, &maria).await, ["cancelled"], "the muted member's notice is cancelled");
    assert_eq!(pushes_to(&receiver.received().await, &marias), 0, "no push to the muted member");
    assert_eq!(to(&maria)(&webhook.calls()), 0, "no webhook notice for the muted member");

    // A message that mentions her reaches her all the same, both ways, saying so.
    let mention = b.send(&teacher, chat, "@Мария, зайди после урока").await;
    let received = receiver.wait_for("Мария's push", Duration::from_secs(10), |r| pushes_to(r, &marias) == 1).await;
    let push = received.iter().find(|r| r["sid"] == marias.as_str()).expect("the push");
    assert_eq!(
        (push["payload"]["message_id"].as_i64(), &push["payload"]["mentioned"]),
        (Some(mention), &true.into()),
        "{push:#}"
    );
    let calls = webhook.wait_for(2, Duration::from_millis(0)).await;
    let hers: Vec<_> = calls.iter().filter(|c| c.json()["user_id"] == maria.id).collect();
    assert_eq!(hers.len(), 1, "{calls:?}");
    assert_eq!((hers[0].json()["message_id"].as_i64(), &hers[0].json()["mentioned"]), (Some(mention), &true.into()));
    assert_eq!(settled_notices(&a, &maria).await, ["cancelled", "delivered"]);
    assert_eq!(a.unread(&maria, chat).await, 2, "unread counts both");
    audit_is_clean(&a).await;
}

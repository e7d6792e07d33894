//! The erasure ledger (`tutorchat::governance::ledger`): every erasure recorded outside the
//! database, and applied again at start to a database that lost it (a restore). The restore
//! itself, with pgBackRest, is tests/faults/backups.rs; here the ledger is written as a
//! restore would leave it: an entry for a person the database has again, not erased.

use time::OffsetDateTime;
use tutorchat::governance::ledger::{self, Entry};

use crate::governance::{audit_is_clean, erase, full_dump, timeline};
use crate::helpers::{TestApp, User};

async fn created_at(app: &TestApp, user: &User) -> OffsetDateTime {
    app.sql.query_one("SELECT created_at FROM users WHERE id = $1", &[&user.id]).await.expect("user").get(0)
}

async fn put(app: &TestApp, entry: &Entry) {
    let bytes = serde_json::to_vec(entry).expect("JSON");
    app.state.storage.put_record(&entry.key(), bytes).await.expect("write a ledger entry");
}

#[tokio::test]
async fn an_admins_erasure_is_recorded_in_the_ledger_with_ids_and_times_only() {
    let app = TestApp::spawn().await;
    let (admin, pupil) = (app.user("admin", "Admin").await, app.user("student", "Ulrike Gone").await);
    erase(&app, &admin, &pupil).await;
    let requested_at: OffsetDateTime = app
        .sql
        .query_one("SELECT erasure_requested_at FROM users WHERE id = $1", &[&pupil.id])
        .await
        .expect("row")
        .get(0);
    let expected = Entry {
        user_id: pupil.id,
        created_at: created_at(&app, &pupil).await,
        admin_id: admin.id,
        admin_created_at: created_at(&app, &admin).await,
        requested_at,
    };
    assert_eq!(ledger::entries(&app.state.storage).await.expect("the ledger"), std::slice::from_ref(&expected));
    let stored = app.state.storage.get_record(&expected.key()).await.expect("the entry's object");
    assert!(!String::from_utf8_lossy(&stored).contains("Ulrike"), "no personal data in the ledger");
}

/// A ledger entry for a person the database has and has not erased is erased again, on the
/// first admin's authority and with a reason that says why; an entry whose account creation
/// time is not the person's (someone else given the id after a restore) erases nobody.
#[tokio::test]
async fn the_ledger_erases_again_the_person_a_restore_brought_back_and_nobody_else() {
    let app = TestApp::spawn().await;
    let (admin, teacher) = (app.user("admin", "Admin").await, app.user("teacher", "Teacher").await);
    let back = app.user("student", "Bertha Back").await;
    let other = app.user("student", "Otto Other").await;
    let chat = app.chat(&teacher, &back).await;
    app.send(&back, chat, "my address is 12 Elm Street").await;
    app.send(&teacher, chat, "the teacher's words stay").await;
    let (asked, admin_created_at) =
        (OffsetDateTime::now_utc() - time::Duration::days(1), created_at(&app, &admin).await);
    let entry =
        |user_id, created_at| Entry { user_id, created_at, admin_id: admin.id, admin_created_at, requested_at: asked };
    put(&app, &entry(back.id, created_at(&app, &back).await)).await;
    let someone_else = created_at(&app, &other).await - time::Duration::days(30);
    put(&app, &entry(other.id, someone_else)).await;

    let done = ledger::reapply(&app.state.db, &app.state.storage).await.expect("reapply");
    assert_eq!((done.entries, done.asked_again.clone(), done.unattributed.clone()), (2, vec![back.id], vec![]));
    tutorchat::governance::erasure::run(&app.state).await.expect("the erasure job");

    let state = |user: &User| {
        let sql = &app.sql;
        let id = user.id;
        async move {
            let row = sql
                .query_one(
                    "SELECT erasure_requested_at IS NOT NULL, erased_at IS NOT NULL FROM users WHERE id = $1",
                    &[&id],
                )
                .await
                .expect("user");
            (row.get::<_, bool>(0), row.get::<_, bool>(1))
        }
    };
    assert_eq!(state(&back).await, (true, true), "the person brought back is erased again");
    assert_eq!(state(&other).await, (false, false), "someone else with a ledger entry's id is left alone");
    let dump = full_dump(&app).await;
    for gone in ["12 Elm Street", "Bertha"] {
        assert!(!dump.contains(gone), "{gone:?} is still in the database");
    }
    assert!(dump.contains("the teacher's words stay") && dump.contains("Otto Other"));
    let purged = timeline(&app, chat, "messages_purged").await;
    assert!(
        purged[0].starts_with(&format!("erased on request of user {} (re-applied from the erasure ledger", back.id)),
        "{purged:?}"
    );
    assert!(purged[0].contains("by Admin"), "{purged:?}");
    audit_is_clean(&app).await;

    // Applied again, the ledger finds nothing left to do.
    let again = ledger::reapply(&app.state.db, &app.state.storage).await.expect("reapply again");
    assert!(again.asked_again.is_empty(), "{again:?}");
}

/// An entry whose admin the database does not have (an account made after the restore's
/// target) cannot be applied on their authority: it is reported, and nothing is appended.
#[tokio::test]
async fn an_entry_whose_admin_the_database_lacks_is_reported_not_applied() {
    let app = TestApp::spawn().await;
    let pupil = app.user("student", "Pia Pupil").await;
    let entry = Entry {
        user_id: pupil.id,
        created_at: created_at(&app, &pupil).await,
        admin_id: 999_999,
        admin_created_at: OffsetDateTime::UNIX_EPOCH,
        requested_at: OffsetDateTime::now_utc(),
    };
    put(&app, &entry).await;
    let done = ledger::reapply(&app.state.db, &app.state.storage).await.expect("reapply");
    assert_eq!((done.asked_again, done.unattributed), (vec![], vec![(pupil.id, 999_999)]));
}

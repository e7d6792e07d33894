//! Migrations are applied once, also when several replicas start at the same moment.

use crate::helpers::{connect, fresh_database, test_config};
use tutorchat::Application;

#[tokio::test]
async fn replicas_starting_together_apply_each_migration_exactly_once() {
    let database = fresh_database().await;
    let starts = (0..4).map(|_| {
        let config = test_config(database.clone());
        tokio::spawn(async move { Application::build(config).await.map(|app| app.port()) })
    });
    for start in futures::future::join_all(starts).await {
        start.expect("task").expect("every replica starts");
    }
    let sql = connect(&database).await;
    let history: Vec<(i32, i64)> = sql
        .query("SELECT version, count(*) FROM refinery_schema_history GROUP BY version ORDER BY version", &[])
        .await
        .expect("history")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(history, vec![(1, 1), (2, 1), (3, 1)]);
    let triggers: i64 = sql
        .query_one("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal", &[])
        .await
        .expect("triggers")
        .get(0);
    assert_eq!(triggers, 3, "each trigger on events exists once");
}

#[tokio::test]
async fn migrating_an_up_to_date_database_changes_nothing() {
    let database = fresh_database().await;
    tutorchat::db::migrate(&database).await.expect("first run");
    tutorchat::db::migrate(&database).await.expect("second run");
    let sql = connect(&database).await;
    let count: i64 = sql.query_one("SELECT count(*) FROM refinery_schema_history", &[]).await.expect("count").get(0);
    assert_eq!(count, 3);
}

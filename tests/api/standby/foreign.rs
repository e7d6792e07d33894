//! A read database that is not a copy of the primary is refused at start-up.

use super::*;

#[tokio::test]
async fn start_up_refuses_a_read_database_that_is_not_a_copy_of_the_primary() {
    let other = std::env::temp_dir().join(format!("tutorchat-test-other-{}", std::process::id()));
    let bindir = tutorchat::config::pg_bindir_from_env().expect("PG_BINDIR");
    let options =
        tutorchat::db::embedded::Options { durable: false, remove_on_exit: true, bindir, settings: Vec::new() };
    let other = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&other, options))
        .await
        .expect("task")
        .expect("start another PostgreSQL");
    let database = std::sync::Arc::new(crate::helpers::migrated_database().await);
    let mut config = crate::helpers::test_config((**database).clone());
    config.reads.database = Some(other.config("postgres"));
    let error = match tutorchat::Application::build(config).await {
        Ok(_) => panic!("a replica started reading another cluster"),
        Err(e) => format!("{e:#}"),
    };
    assert!(error.starts_with("READ_DATABASE_URL: "), "{error}");
    assert!(error.contains("not a copy of DATABASE_URL's cluster"), "{error}");
}

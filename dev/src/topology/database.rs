//! The topology's database: created with its owner and the replicas' role, as compose's
//! `deploy/postgres-init.sh` makes them.

use anyhow::Context;

/// The login role the replicas connect as.
pub(super) const RUNTIME_ROLE: &str = "tutorchat_runtime";

/// The login role that owns the database and migrates it.
pub(super) const OWNER_ROLE: &str = "tutorchat_owner";

/// The database, its owner and the replicas' role, through `superuser` (a connection to
/// `postgres`), as compose's `deploy/postgres-init.sh` makes them. Answers whether the owner
/// migrates: not a database an earlier build of this tool made as the superuser's (kept under
/// `.data/`), whose tables only the superuser may change.
pub(super) fn create_database(superuser: tokio_postgres::Config) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        tutorchat::db::ensure_database(&superuser, "tutorchat").await?;
        tutorchat::db::ensure_runtime_role(&superuser, RUNTIME_ROLE).await?;
        let mut database = superuser.clone();
        database.dbname("tutorchat");
        let (client, connection) = database.connect(tokio_postgres::NoTls).await?;
        let driver = tokio::spawn(connection);
        let earlier: Option<String> = client
            .query_one("SELECT (SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid = to_regclass('public.events'))", &[])
            .await?
            .get(0);
        if earlier.is_some_and(|owner| owner != OWNER_ROLE) {
            return Ok(false);
        }
        client
            .batch_execute(
                "DO $$ BEGIN
                     IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tutorchat_owner') THEN
                         CREATE ROLE tutorchat_owner LOGIN;
                     END IF;
                 END $$;
                 ALTER DATABASE tutorchat OWNER TO tutorchat_owner;
                 ALTER SCHEMA public OWNER TO tutorchat_owner",
            )
            .await
            .context("cannot make the database's owner")?;
        drop(client);
        let _ = driver.await;
        anyhow::Ok(true)
    })
}

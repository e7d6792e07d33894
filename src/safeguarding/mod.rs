//! The school's safeguarding policies that change what happens to a message, not who may read
//! it (that is `crate::access`): quiet hours (`quiet.rs`), in which a teacher's message to a
//! chat with a student is accepted but held until the morning; and flags (`flags.rs`), the
//! school's words and phrases that put a message in front of the moderators. They read the replica's
//! `crate::clock::Clock`, which a test can move. And what the database must know of the
//! guardians' policy ([`announce`]).

pub mod flags;
pub mod quiet;

use crate::config::SafeguardingConfig;

/// Records `GUARDIAN_GROUPS`, every school's default, where the database reads it alone
/// (`safeguarding_settings`, under a school's own in the `guardian_policy` view: a group's
/// header, the notices' guardians, the export's rule). Every replica sets it at start, so all
/// must agree; in Rust the policy that holds is `crate::school::Settings::guardian_groups`.
pub async fn announce(pool: &deadpool_postgres::Pool, config: &SafeguardingConfig) -> anyhow::Result<()> {
    let policy = if config.guardian_groups.own_messages() { "own_messages" } else { "none" };
    pool.get().await?.execute("UPDATE safeguarding_settings SET guardian_groups = $1", &[&policy]).await?;
    Ok(())
}

//! How clients reach the HA topology's servers: the replicas' connection strings (both
//! servers, through their Unix socket, with a password) and a superuser's connection to one
//! server. The roles' passwords are the topology's own (`ha/tls.rs`).

use std::time::Duration;

use anyhow::Context;

use super::tls::random_password;
use super::{DEAD_SERVER, HaCluster};

impl HaCluster {
    /// A connection string naming both servers: the first that accepts writes
    /// (`target_session_attrs=read-write`), whichever it is now.
    pub fn url(&self, user: &str, dbname: &str) -> String {
        self.url_for(user, dbname, "read-write")
    }

    /// Both servers, the first that is a standby (`read-only`): the reads' connection.
    pub fn read_url(&self, user: &str, dbname: &str) -> String {
        self.url_for(user, dbname, "read-only")
    }

    /// Through the servers' socket, with `user`'s password: over TCP the servers take only TLS,
    /// which tutorchat's PostgreSQL client does not speak (it has no TLS connector).
    fn url_for(&self, user: &str, dbname: &str, attrs: &str) -> String {
        let socket = self.socket_dir.display().to_string();
        let hosts = self.nodes.iter().map(|_| socket.as_str()).collect::<Vec<_>>().join(",");
        let ports = self.nodes.iter().map(|n| n.postgres.port().to_string()).collect::<Vec<_>>().join(",");
        let password = self.password_of(user).map(|p| format!(" password={p}")).unwrap_or_default();
        format!(
            "host={hosts} port={ports} user={user}{password} dbname={dbname} target_session_attrs={attrs} {DEAD_SERVER}"
        )
    }

    fn password_of(&self, user: &str) -> Option<&str> {
        self.logins.iter().find(|(login, _)| login == user).map(|(_, password)| password.as_str())
    }

    /// Gives the existing role `login` a random password of its own (through the leader),
    /// which [`HaCluster::url`] then puts in its connection strings.
    pub fn add_login(&mut self, login: &str) -> anyhow::Result<()> {
        let leader = self.wait_for_leader(Duration::from_secs(30))?;
        let config = self.node_config(leader, "postgres");
        let password = random_password();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.context("connect to the leader")?;
            let driver = tokio::spawn(connection);
            // The name and password go in as parameters, not into the statement's text.
            client
                .query(
                    "SELECT set_config('tutorchat.login', $1, false), set_config('tutorchat.password', $2, false)",
                    &[&login, &password],
                )
                .await?;
            client
                .batch_execute(
                    "DO $$ BEGIN EXECUTE format('ALTER ROLE %I PASSWORD %L', current_setting('tutorchat.login'), \
                     current_setting('tutorchat.password')); END $$",
                )
                .await
                .with_context(|| format!("cannot set {login}'s password"))?;
            drop(client);
            let _ = driver.await;
            anyhow::Ok(())
        })?;
        self.logins.push((login.to_owned(), password));
        Ok(())
    }

    /// A superuser connection to node `i` itself (whatever its role), through its socket.
    pub fn node_config(&self, i: usize, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config.host_path(&self.socket_dir);
        self.superuser_of(i, dbname, config)
    }

    /// The same over TCP (which the server takes only over TLS).
    pub fn node_tcp_config(&self, i: usize, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config.host("127.0.0.1");
        self.superuser_of(i, dbname, config)
    }

    fn superuser_of(&self, i: usize, dbname: &str, mut config: tokio_postgres::Config) -> tokio_postgres::Config {
        config.port(self.nodes[i].postgres.port()).dbname(dbname);
        config.user("postgres").password(&self.passwords.superuser);
        config.connect_timeout(Duration::from_secs(2));
        config
    }
}

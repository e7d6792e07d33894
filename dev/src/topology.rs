//! The production topology on one machine, without Docker: a private PostgreSQL, several
//! replicas of this binary on their own ports, and nginx in front configured from
//! `deploy/nginx.conf` (the file compose.yaml uses). `tutorchat-dev topology` runs it for people
//! who want to try scaling locally; the fault tests drive it through the same code.
//!
//! Every process it starts dies with it: replicas stop at the end of their stdin
//! (`TUTORCHAT_STOP_ON_EOF`), nginx and PostgreSQL run under small watchdogs that do the same.
//!
//! A replica's process (spawning, readiness, the faults done to it) is `topology/replicas.rs`;
//! the ports everything listens on, `ports.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::ports::free_port;
use tutorchat::db::embedded::{EmbeddedPostgres, Options as PgOptions};

mod backups;
mod database;
pub mod ha;
mod replicas;

pub use backups::STANZA;
use database::{OWNER_ROLE, RUNTIME_ROLE, create_database};
use ha::HaCluster;

#[derive(Debug, Clone)]
pub struct Options {
    /// The `tutorchat` executable the replicas run.
    pub binary: PathBuf,
    pub replicas: usize,
    /// nginx's address (port 0: any free port).
    pub front: SocketAddr,
    /// Working folder: `postgres/`, `nginx/` and the replicas' logs.
    pub base: PathBuf,
    /// Durable PostgreSQL (fsync on: `tutorchat-dev topology`, benchmarks) or fast (tests).
    pub durable: bool,
    /// Delete the working folder when the topology stops (tests, benchmarks).
    pub remove_on_exit: bool,
    /// Put nginx in front (benchmarks talk to the replicas directly).
    pub nginx: bool,
    /// Extra environment for every replica (`JWT_SECRET` at least).
    pub env: Vec<(String, String)>,
    /// The first replica loads the demo data and every replica allows dev login.
    pub demo: bool,
    /// PostgreSQL's server binaries (`PG_BINDIR`); `None`: search for them.
    pub pg_bindir: Option<PathBuf>,
    /// Also a streaming standby of PostgreSQL (`pg_basebackup`), which the replicas read from
    /// (`READ_DATABASE_URL`).
    pub standby: bool,
    /// PostgreSQL settings on top of the defaults (the primary's and the standby's).
    pub pg_settings: Vec<(String, String)>,
    /// Back PostgreSQL up with pgBackRest (`topology/backups.rs`): the WAL archived, a first
    /// full backup once the schema is in.
    pub backups: bool,
    /// PostgreSQL highly available (`topology/ha.rs`): etcd and two servers run by Patroni, a
    /// primary and a synchronous standby, which the replicas follow through failovers.
    /// Instead of the single server (and of `standby`, `backups`).
    pub ha: bool,
}

struct Replica {
    addr: SocketAddr,
    process: Option<Child>,
    log: PathBuf,
    /// Variables for this replica only, on top of `Options::env` (see `start_replica_with`).
    env: Vec<(String, String)>,
}

pub struct Topology {
    options: Options,
    replicas: Vec<Replica>,
    front: SocketAddr,
    /// nginx's TLS address (self-signed certificate).
    tls_front: SocketAddr,
    nginx: Option<Child>,
    /// The schema owner's connection (the private server's superuser): migrations, demo data,
    /// and whatever a test or the benchmark arranges directly.
    database_url: String,
    /// The migrations' connection: the database's owner (`tutorchat_owner`), no superuser, so
    /// that every school table's wall binds the functions it owns too, as in compose.
    owner_url: String,
    /// The replicas' connection: a least-privilege role (`tutorchat_runtime`).
    runtime_url: String,
    /// Stopped in `drop`, after the replicas. Always `Some` until then, unless `ha`.
    postgres: Option<EmbeddedPostgres>,
    /// With `Options::ha`: the Patroni cluster, stopped in `drop` after the replicas.
    ha: Option<HaCluster>,
    /// The standby the replicas read from, and their connection to it (see `Options::standby`).
    standby: Option<(EmbeddedPostgres, String)>,
    /// pgBackRest's configuration, with `Options::backups`.
    backup_config: Option<PathBuf>,
}

impl Topology {
    /// Starts PostgreSQL, the replicas (each ready: `/readyz` answers 200) and nginx.
    pub fn start(options: Options) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&options.base).with_context(|| format!("cannot create {}", options.base.display()))?;
        let (postgres, ha, database_url, owner_migrates) = if options.ha {
            let bindir = tutorchat::db::embedded::find_bindir(options.pg_bindir.as_deref())?;
            let mut ha = HaCluster::start(&options.base.join("ha"), &bindir, &options.pg_settings, options.durable)?;
            let owner_migrates =
                create_database(ha.node_config(ha.wait_for_leader(Duration::from_secs(30))?, "postgres"))?;
            ha.add_login(RUNTIME_ROLE)?;
            ha.add_login(OWNER_ROLE)?;
            let url = ha.url("postgres", "tutorchat");
            (None, Some(ha), url, owner_migrates)
        } else {
            let postgres = EmbeddedPostgres::start(
                &options.base.join("postgres"),
                PgOptions {
                    durable: options.durable,
                    remove_on_exit: options.remove_on_exit,
                    bindir: options.pg_bindir.clone(),
                    settings: [
                        options.pg_settings.clone(),
                        if options.backups { backups::server_settings() } else { Vec::new() },
                    ]
                    .concat(),
                },
            )?;
            let owner_migrates = create_database(postgres.config("postgres"))?;
            let url = postgres.url("tutorchat");
            (Some(postgres), None, url, owner_migrates)
        };
        let (owner_url, runtime_url) = match &ha {
            Some(ha) => (ha.url(OWNER_ROLE, "tutorchat"), ha.url(RUNTIME_ROLE, "tutorchat")),
            None => (
                database_url.replace("user=postgres", &format!("user={OWNER_ROLE}")),
                database_url.replace("user=postgres", &format!("user={RUNTIME_ROLE}")),
            ),
        };
        let owner_url = if owner_migrates { owner_url } else { database_url.clone() };
        let replicas = (0..options.replicas)
            .map(|i| {
                Ok(Replica {
                    addr: free_port()?,
                    process: None,
                    log: options.base.join(format!("replica{}.log", i + 1)),
                    env: Vec::new(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let front = if options.front.port() == 0 { free_port()? } else { options.front };
        let tls_front = free_port()?;
        let nginx = if options.nginx {
            Some(super::nginx::start(
                &options.base.join("nginx"),
                front,
                tls_front,
                &replicas.iter().map(|r| r.addr).collect::<Vec<_>>(),
            )?)
        } else {
            None
        };
        let mut topology = Self {
            options,
            replicas,
            front,
            tls_front,
            nginx,
            database_url,
            owner_url,
            runtime_url,
            postgres,
            ha,
            standby: None,
            backup_config: None,
        };
        if topology.options.backups {
            topology.set_up_backups()?;
        }
        // Migrations (and the demo data) as the owner, as compose's migrate step does; then the
        // replicas, which may only read and append, start together.
        topology.migrate()?;
        if topology.options.standby {
            let standby = topology.postgres().start_standby(&topology.options.base.join("standby"))?;
            let url = standby.url("tutorchat").replace("user=postgres", &format!("user={RUNTIME_ROLE}"));
            topology.standby = Some((standby, url));
        }
        for i in 0..topology.replicas.len() {
            topology.spawn_replica(i)?;
        }
        for i in 0..topology.replicas.len() {
            topology.wait_ready(i)?;
        }
        if topology.options.backups {
            topology.back_up("full")?;
        }
        Ok(topology)
    }

    /// nginx's base URL: what clients use (without nginx, the first replica's).
    pub fn url(&self) -> String {
        if self.nginx.is_none() {
            return self.replica_url(0);
        }
        format!("http://{}", self.front)
    }

    /// nginx's TLS base URL (its certificate is self-signed: `nginx/tls/cert.pem`).
    pub fn tls_url(&self) -> Option<String> {
        self.nginx.as_ref().map(|_| format!("https://{}", self.tls_front))
    }

    pub fn replica_url(&self, i: usize) -> String {
        format!("http://{}", self.replicas[i].addr)
    }

    pub fn replica_addr(&self, i: usize) -> SocketAddr {
        self.replicas[i].addr
    }

    /// The replica's process id (for memory measurements), if it runs.
    pub fn replica_pid(&self, i: usize) -> Option<u32> {
        self.replicas[i].process.as_ref().map(Child::id)
    }

    /// The last `lines` lines replica `i` wrote to its log (for a failure's message).
    pub fn replica_log_tail(&self, i: usize, lines: usize) -> String {
        let log = std::fs::read_to_string(&self.replicas[i].log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(lines).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    pub fn replica_count(&self) -> usize {
        self.replicas.len()
    }

    /// The schema owner's connection string (see [`Topology::runtime_url`] for the replicas').
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The replicas' least-privilege connection string.
    pub fn runtime_url(&self) -> &str {
        &self.runtime_url
    }

    /// `tutorchat migrate [--demo]` as the schema's owner.
    fn migrate(&self) -> anyhow::Result<()> {
        let log = self.options.base.join("migrate.log");
        let mut command = Command::new(&self.options.binary);
        command.arg("migrate");
        if self.options.demo {
            command.arg("--demo");
        }
        let output = command
            .env("DATABASE_URL", &self.owner_url)
            .env_remove("MIGRATION_DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {} migrate", self.options.binary.display()))?;
        std::fs::write(&log, [output.stdout.as_slice(), output.stderr.as_slice()].concat())?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            bail!("tutorchat migrate failed: {}", stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(""));
        }
        Ok(())
    }

    /// The single PostgreSQL server (not in the HA topology: see [`Topology::ha`]).
    pub fn postgres(&self) -> &EmbeddedPostgres {
        self.postgres
            .as_ref()
            .expect("PostgreSQL runs until the topology is dropped (the HA topology has ha() instead)")
    }

    /// The Patroni cluster, in the HA topology.
    pub fn ha(&mut self) -> Option<&mut HaCluster> {
        self.ha.as_mut()
    }

    /// What the replicas read from (`READ_DATABASE_URL`): the standby, whichever server it is.
    fn read_database_url(&self) -> Option<String> {
        if let Some(ha) = &self.ha {
            return Some(ha.read_url(RUNTIME_ROLE, "tutorchat"));
        }
        self.standby.as_ref().map(|(_, url)| url.clone())
    }

    /// The standby the replicas read from, if the topology has one.
    pub fn standby(&self) -> Option<&EmbeddedPostgres> {
        self.standby.as_ref().map(|(standby, _)| standby)
    }

    pub fn nginx_access_log(&self) -> PathBuf {
        self.options.base.join("nginx/access.log")
    }

    /// `nginx -s reload`: nginx rereads its configuration; new workers take new connections
    /// and the old ones finish the ones they have.
    pub fn reload_nginx(&mut self) -> anyhow::Result<()> {
        let file = self.options.base.join("nginx/nginx.pid");
        let pid: i32 = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?
            .trim()
            .parse()
            .with_context(|| format!("{} holds no process id", file.display()))?;
        kill(Pid::from_raw(pid), Signal::SIGHUP)?;
        Ok(())
    }

    /// Where everything is, for people.
    pub fn describe(&self) -> String {
        let mut text = format!("nginx          {}\n", self.url());
        if let Some(tls) = self.tls_url() {
            text.push_str(&format!(
                "nginx (TLS)    {tls}  (self-signed: {})\n",
                self.options.base.join("nginx/tls/cert.pem").display()
            ));
        }
        for (i, replica) in self.replicas.iter().enumerate() {
            text.push_str(&format!(
                "replica {}      http://{}  (log: {})\n",
                i + 1,
                replica.addr,
                replica.log.display()
            ));
        }
        match &self.ha {
            Some(ha) => text.push_str(&ha.describe()),
            None => text.push_str(&format!("PostgreSQL     {}\n", self.postgres().psql_command("tutorchat"))),
        }
        if let Some(config) = self.backup_config() {
            text.push_str(&format!(
                "backups        pgBackRest, WAL archived; PGBACKREST_CONFIG={} DATABASE_URL='{}' tutorchat backup --type incr | restore-drill\n",
                config.display(),
                self.database_url
            ));
        }
        text
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            if let Some(process) = replica.process.as_mut() {
                let _ = kill(Pid::from_raw(process.id() as i32), Signal::SIGCONT); // if paused
                drop(process.stdin.take()); // EOF: the replica shuts down gracefully
            }
        }
        for replica in &mut self.replicas {
            if let Some(mut process) = replica.process.take() {
                let deadline = Instant::now() + Duration::from_secs(10);
                while process.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let _ = process.kill();
                let _ = process.wait();
            }
        }
        if let Some(mut nginx) = self.nginx.take() {
            drop(nginx.stdin.take());
            let _ = nginx.wait();
        }
        drop(self.standby.take());
        drop(self.ha.take());
        drop(self.postgres.take()); // stops it (and, with remove_on_exit, removes its folder)
        if self.options.remove_on_exit {
            // Everything is stopped: the logs, nginx's files, the shared attachments, what
            // PostgreSQL's watchdogs left (a test or benchmark run leaves nothing in /tmp).
            let _ = std::fs::remove_dir_all(&self.options.base);
        }
    }
}

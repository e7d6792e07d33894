//! The highly available database of `tutorchat-dev topology --ha` (`Options::ha`), built from the
//! tools a school's operators would run: three etcd members (the quorum that decides who leads)
//! and two PostgreSQL servers, each run by Patroni, one primary and one synchronous standby
//! (`synchronous_mode`: a commit returns only once the standby has its WAL, so a message
//! acknowledged to a client is on both servers). When the primary dies Patroni promotes the
//! standby; when it returns, Patroni rewinds it (`pg_rewind`) and it follows the new primary.
//! docs/high-availability.md explains the choices and the failover bound this gives.
//!
//! The replicas find the primary by themselves: their `DATABASE_URL` names both servers with
//! `target_session_attrs=read-write` ([`HaCluster::url`]) and their `READ_DATABASE_URL` names
//! both with `read-only` ([`HaCluster::read_url`]), so after a failover every new connection
//! goes to the new primary, and reads to the new standby.
//!
//! Nothing is open to whoever reaches a port or shares the machine (`ha/tls.rs`): etcd takes
//! only clients with the topology's certificate, PostgreSQL takes TCP only over TLS and every
//! connection only with a password (replication included, the primary's certificate checked),
//! and Patroni's REST API is HTTPS, its changing endpoints behind a password. The replicas
//! connect through the servers' Unix socket (tokio-postgres here speaks no TLS), with a
//! password: on one machine nothing of theirs crosses a network.
//!
//! Each process runs under a small `sh` watchdog that owns it, as the private PostgreSQL does:
//! when this process ends (even by `kill -9`), the watchdog sees its stdin close and stops
//! the process it watches (Patroni stops its PostgreSQL). The fault tests kill the processes
//! themselves (a postmaster, an etcd member) through the process ids the watchdogs report.

mod connect;
mod etcd;
mod patroni;
mod process;
mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;

use crate::ports::free_port;
pub use etcd::EtcdClient;
pub use patroni::parameters;
use patroni::patroni_config;
use process::{Watched, wait_until, which};
pub use tls::Call;
use tls::{Passwords, Tls, status};

/// Patroni's timing (its dynamic configuration; docs/high-availability.md): the leader key
/// lives `TTL` seconds unless renewed, each node's loop runs every `LOOP_WAIT` seconds, and
/// etcd or PostgreSQL calls give up after `RETRY_TIMEOUT` (Patroni requires
/// `LOOP_WAIT + 2 × RETRY_TIMEOUT ≤ TTL`). Patroni's defaults are 30, 10 and 10.
pub const TTL: u64 = 10;
pub const LOOP_WAIT: u64 = 1;
pub const RETRY_TIMEOUT: u64 = 4;

/// How long a connection waits on a server that is gone without closing it (its machine lost,
/// the network cut; a killed process closes its connections at once): at most 2 s to connect,
/// and a connection that sent and heard nothing back for about 10 s is given up (TCP keepalives
/// after 5 s idle, 3 probes 2 s apart; `tcp_user_timeout` for data never acknowledged, in
/// seconds in tokio-postgres, not libpq's milliseconds). docs/high-availability.md.
pub const DEAD_SERVER: &str =
    "connect_timeout=2 keepalives_idle=5 keepalives_interval=2 keepalives_retries=3 tcp_user_timeout=10";

/// Patroni's name for the cluster (its keys in etcd live under `/service/tutorchat`).
const SCOPE: &str = "tutorchat";

/// The user of Patroni's REST API (its password is random: [`HaCluster::rest_credentials`]).
const REST_USER: &str = "patroni";

struct EtcdMember {
    name: String,
    client: SocketAddr,
    peer: SocketAddr,
    process: Option<Watched>,
}

/// A PostgreSQL server and the Patroni that runs it.
struct Node {
    name: String,
    postgres: SocketAddr,
    rest: SocketAddr,
    config: PathBuf,
    data: PathBuf,
    process: Option<Watched>,
}

pub struct HaCluster {
    base: PathBuf,
    etcd: Vec<EtcdMember>,
    nodes: Vec<Node>,
    bindir: PathBuf,
    socket_dir: PathBuf,
    tls: Tls,
    passwords: Passwords,
    /// The login roles a connection string may name, and their passwords.
    logins: Vec<(String, String)>,
}

impl HaCluster {
    /// Starts etcd, then the first node (it bootstraps the cluster and leads), then the second
    /// (a base backup of the first), and returns once the second is the synchronous standby.
    /// `settings` are PostgreSQL parameters for both; `durable: false` turns fsync off (tests:
    /// a process's crash still loses nothing, only the machine's would).
    pub fn start(base: &Path, bindir: &Path, settings: &[(String, String)], durable: bool) -> anyhow::Result<Self> {
        let base = tutorchat::db::embedded::server_base(base)?;
        let socket_dir = tutorchat::db::embedded::server_socket_dir()?;
        let etcd = (1..=3)
            .map(|i| {
                Ok(EtcdMember { name: format!("etcd{i}"), client: free_port()?, peer: free_port()?, process: None })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut nodes = Vec::new();
        for i in 1..=2 {
            let name = format!("pg{i}");
            let (postgres, rest) = (free_port()?, free_port()?);
            let dir = base.join(&name);
            let node =
                Node { config: dir.join("patroni.yml"), data: dir.join("data"), name, postgres, rest, process: None };
            nodes.push(node);
        }
        let tls = Tls::make(&base)?;
        let passwords = Passwords::generate();
        let logins = vec![("postgres".to_owned(), passwords.superuser.clone())];
        let bindir = bindir.to_owned();
        let mut cluster = Self { base, etcd, nodes, bindir, socket_dir: socket_dir.clone(), tls, passwords, logins };
        // For people (describe()): psql's password over TCP.
        let file = cluster.base.join("superuser.password");
        std::fs::write(&file, &cluster.passwords.superuser)?;
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        for i in 0..cluster.etcd.len() {
            cluster.start_etcd(i)?;
        }
        for i in 0..cluster.etcd.len() {
            let name = format!("{} healthy", cluster.etcd[i].name);
            wait_until(Duration::from_secs(30), &name, || cluster.etcd_health(i) == Some(200))?;
        }
        let mut parameters = patroni::parameters();
        if !durable {
            parameters["fsync"] = json!("off");
        }
        for (name, value) in settings {
            parameters[name] = json!(value);
        }
        for i in 0..cluster.nodes.len() {
            let config = patroni_config(&cluster, i, &parameters, &socket_dir);
            let node = &cluster.nodes[i];
            let dir = node.config.parent().context("a node's folder")?;
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            // It holds the passwords: for the server's user only.
            std::fs::write(&node.config, serde_json::to_string_pretty(&config)?)?;
            std::fs::set_permissions(&node.config, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            let mut chown = Command::new("chown");
            if nix::unistd::geteuid().is_root() {
                chown.arg("-R").arg("postgres:postgres").arg(dir);
                tutorchat::backup::run(&mut chown, "chown")?;
            }
        }
        cluster.start_node(0)?;
        cluster.wait_for_leader(Duration::from_secs(90))?;
        cluster.start_node(1)?;
        cluster.wait_for_sync_standby(Duration::from_secs(90))?;
        Ok(cluster)
    }

    /// The node that leads now (Patroni's `GET /primary` answers 200 there), if any.
    pub fn leader(&self) -> Option<usize> {
        (0..self.nodes.len()).position(|i| self.rest(i, &Call::get("/primary")) == Some(200))
    }

    /// The node that is the synchronous standby now (`GET /sync`), if any.
    pub fn sync_standby(&self) -> Option<usize> {
        (0..self.nodes.len()).position(|i| self.rest(i, &Call::get("/sync")) == Some(200))
    }

    /// The status of `call` to node `i`'s REST API (HTTPS, its certificate checked), or `None`
    /// if nothing answers.
    pub fn rest(&self, i: usize, call: &Call) -> Option<u16> {
        status(self.nodes[i].rest, Some(&self.tls.member), call)
    }

    /// The REST API's `user:password`, which its changing endpoints require.
    pub fn rest_credentials(&self) -> String {
        format!("{REST_USER}:{}", self.passwords.rest)
    }

    pub fn wait_for_leader(&self, within: Duration) -> anyhow::Result<usize> {
        wait_until(within, "a leader", || self.leader().is_some())?;
        self.leader().context("the leader went away")
    }

    /// Waits until a node other than `old` leads; which one.
    pub fn wait_for_new_leader(&self, old: usize, within: Duration) -> anyhow::Result<usize> {
        wait_until(within, "new leader", || self.leader().is_some_and(|i| i != old))?;
        self.leader().context("the new leader went away")
    }

    pub fn wait_for_sync_standby(&self, within: Duration) -> anyhow::Result<usize> {
        wait_until(within, "a synchronous standby", || self.sync_standby().is_some())?;
        self.sync_standby().context("the synchronous standby went away")
    }

    pub fn node_name(&self, i: usize) -> &str {
        &self.nodes[i].name
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Starts (or restarts) node `i`'s Patroni, which starts its PostgreSQL in the role etcd
    /// gives it.
    pub fn start_node(&mut self, i: usize) -> anyhow::Result<()> {
        let patroni = which("patroni")?;
        let node = &mut self.nodes[i];
        if let Some(old) = node.process.take() {
            old.stop(Duration::from_secs(30));
        }
        let log = self.base.join(format!("{}.log", node.name));
        node.process = Some(Watched::start(&patroni, &[node.config.display().to_string()], &log)?);
        Ok(())
    }

    /// `kill -9` of node `i`'s postmaster (its Patroni lives on and sees it gone).
    pub fn kill_postmaster(&self, i: usize) -> anyhow::Result<()> {
        kill(Pid::from_raw(self.postmaster_pid(i)?), Signal::SIGKILL).context("kill -9 the postmaster")?;
        Ok(())
    }

    /// `kill -STOP` of node `i`'s WAL sender (a primary's): its standby gets no more WAL, so
    /// the primary's commits wait for the standby while the primary's own WAL runs ahead. Its
    /// pid, for [`HaCluster::signal`].
    pub fn pause_wal_sender(&self, i: usize) -> anyhow::Result<i32> {
        let postmaster = self.postmaster_pid(i)?;
        let sender = std::fs::read_dir("/proc")?
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .find(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // pid (comm) state ppid …: the parent is the field after the closing parenthesis.
                let parent = stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<i32>().ok());
                let title = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                parent == Some(postmaster) && title.starts_with("postgres: ") && title.contains(" walsender")
            })
            .with_context(|| format!("{} has no WAL sender", self.nodes[i].name))?;
        kill(Pid::from_raw(sender), Signal::SIGSTOP)?;
        Ok(sender)
    }

    /// Sends `signal` to a process of the cluster's (one [`HaCluster::pause_wal_sender`] paused).
    pub fn signal(&self, pid: i32, signal: Signal) -> anyhow::Result<()> {
        Ok(kill(Pid::from_raw(pid), signal)?)
    }

    fn postmaster_pid(&self, i: usize) -> anyhow::Result<i32> {
        let file = self.nodes[i].data.join("postmaster.pid");
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        text.lines().next().unwrap_or("").trim().parse().context("postmaster.pid holds no pid")
    }

    /// `patronictl switchover` from the leader to node `candidate`, at once, without asking.
    pub fn switchover(&self, candidate: usize) -> anyhow::Result<String> {
        let leader = self.leader().context("no leader to switch over from")?;
        let mut command = Command::new(which("patronictl")?);
        command.arg("-c").arg(&self.nodes[leader].config).arg("switchover");
        command.args(["--leader", &self.nodes[leader].name, "--candidate", &self.nodes[candidate].name, "--force"]);
        tutorchat::backup::run(&mut command, "patronictl switchover")
    }

    /// `patronictl list`: the members, their roles, states, timelines and lag, for people.
    pub fn list(&self) -> anyhow::Result<String> {
        let mut command = Command::new(which("patronictl")?);
        command.arg("-c").arg(&self.nodes[0].config).arg("list");
        tutorchat::backup::run(&mut command, "patronictl list")
    }

    /// What node `i`'s Patroni (and the PostgreSQL it runs) has logged.
    pub fn log_of(&self, i: usize) -> String {
        std::fs::read_to_string(self.base.join(format!("{}.log", self.nodes[i].name))).unwrap_or_default()
    }

    /// Where everything is, for people.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            text.push_str(&format!(
                "PostgreSQL {}  PGPASSWORD=$(cat {}) psql \"host=127.0.0.1 port={} user=postgres dbname=tutorchat sslmode=verify-full sslrootcert={}\"  (Patroni {}: https://{}/patroni, log {})\n",
                i + 1,
                self.base.join("superuser.password").display(),
                node.postgres.port(),
                self.tls.file("ca.crt"),
                node.name,
                node.rest,
                self.base.join(format!("{}.log", node.name)).display()
            ));
        }
        text.push_str(&self.describe_etcd());
        text.push_str(&format!("patronictl     patronictl -c {} list\n", self.nodes[0].config.display()));
        text
    }
}

impl Drop for HaCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(process) = node.process.take() {
                process.stop(Duration::from_secs(30));
            }
        }
        // A postmaster whose Patroni was killed outlives it: stop what is left.
        for node in &self.nodes {
            if node.data.join("postmaster.pid").exists() {
                let mut pg_ctl = Command::new(self.bindir.join("pg_ctl"));
                pg_ctl.arg("-D").arg(&node.data).args(["-m", "immediate", "stop"]);
                if let Ok(command) = tutorchat::db::embedded::as_server_user(&mut pg_ctl) {
                    let _ = command.stdout(Stdio::null()).stderr(Stdio::null()).status();
                }
            }
        }
        for member in &mut self.etcd {
            if let Some(process) = member.process.take() {
                process.stop(Duration::from_secs(10));
            }
        }
    }
}

//! The benchmark scenarios S1–S11 (see docs/benchmarks.md for what each measures and why),
//! one file each, and the topology they run against.

mod costs;
mod s1;
mod s10;
mod s11;
mod s12;
mod s1_audience;
mod s2;
mod s3;
mod s4;
mod s5;
mod s6;
mod s7;
mod s8;
mod s9;

pub use costs::write_cost;
pub use s1::{S1, s1};
pub use s1_audience::{S1Audience, s1_audience};
pub use s2::{S2, S2Run, s2};
pub use s3::{S3, S3Run, S3Sockets, hold, s3_all, s3_users};
pub use s4::{S4, s4};
pub use s5::{S5, s5};
pub use s6::S6;
#[cfg(test)]
pub use s7::{Check, Slice, Window};
pub use s7::{Plan as RetentionPlan, S7};
#[cfg(test)]
pub use s8::{Latency, QueryPlan, QuerySet, Row};
pub use s8::{Plan as SearchPlan, S8, Search, WriteCost, WriteFigure, query_label, s8};
pub use s9::s9;
pub use s10::{RATIO as S10_RATIO, S10, s10};
#[cfg(test)]
pub use s11::Attack;
pub use s11::{
    LISTED as S11_LISTED, OPEN_LINKS as S11_OPEN_LINKS, OPENS_PER_MINUTE as S11_OPENS_PER_MINUTE,
    OPENS_RATIO as S11_OPENS_RATIO, RATIO as S11_RATIO, RECEIPT_ATTACKERS as S11_RECEIPT_ATTACKERS,
    RECEIPTS_PER_SECOND as S11_RECEIPTS_PER_SECOND, RECEIPTS_RATIO as S11_RECEIPTS_RATIO, S11, s11,
};
pub use s12::s12;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::{Client, NoTls};
use tutorchat_dev::topology::{Options, Topology};

use crate::load::SECRET;

/// A topology of `replicas` release-build replicas on a durable (fsync on) private PostgreSQL.
pub struct Cluster {
    topology: Option<Topology>,
    pub sql: Client,
    pub urls: Vec<String>,
}

/// Refuses a server binary older than the server's sources (`cargo run -p tutorchat-bench`
/// builds the benchmark, not the server): measuring yesterday's server by mistake is worse
/// than not measuring.
fn stale_against_sources(binary: &Path) -> anyhow::Result<()> {
    let built = std::fs::metadata(binary)?.modified()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut pending = vec![root.join("src"), root.join("sql"), root.join("Cargo.toml")];
    while let Some(path) = pending.pop() {
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            pending.extend(std::fs::read_dir(&path)?.filter_map(|e| e.ok().map(|e| e.path())));
        } else if meta.modified()? > built {
            anyhow::bail!(
                "{} is older than {}: build the server first (cargo build --release --workspace)",
                binary.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// A build of the server to measure: this tree's release binary, or another revision's
/// (`--compare REF`), built in a work tree of its own.
#[derive(Debug, Clone)]
pub struct Server {
    pub binary: PathBuf,
    /// What was built: `HEAD`'s short hash, plus "+changes" when the server's sources have
    /// uncommitted changes; for `--compare`, the reference as given and its hash.
    pub revision: String,
    /// PostgreSQL settings of every cluster it runs on (`--pg-setting`; both builds of a
    /// comparison get the same).
    pub pg_settings: Vec<(String, String)>,
    /// SQL run on each of its clusters once it has started, before any load (S8 measures S1
    /// with the search column and index dropped this way, on the same binary).
    pub setup_sql: Vec<String>,
}

impl Server {
    /// The release binary next to this tool, refused if older than the sources.
    pub fn this() -> anyhow::Result<Self> {
        let binary = std::env::current_exe()?.with_file_name("tutorchat");
        anyhow::ensure!(binary.is_file(), "{} not found: build it (cargo build --release)", binary.display());
        stale_against_sources(&binary)?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        // What the server is built from (the benchmark's own results do not count).
        let sources = ["status", "--porcelain", "--", "src", "sql", "Cargo.toml", "Cargo.lock"];
        let dirty = !git(&root, &sources)?.is_empty();
        let head = git(&root, &["rev-parse", "--short", "HEAD"])?;
        Ok(Self {
            binary,
            revision: if dirty { format!("{head}+changes") } else { head },
            pg_settings: Vec::new(),
            setup_sql: Vec::new(),
        })
    }

    /// Whether this is the build of this tree (the binary next to this tool), whose schema this
    /// tool's copies of the product's statements are written for.
    pub fn is_this_tree(&self) -> bool {
        std::env::current_exe().is_ok_and(|tool| self.binary == tool.with_file_name("tutorchat"))
    }

    /// Builds `reference` (a commit, tag or branch of this repository) in a work tree under the
    /// system's temporary directory, with a target directory of its own kept between runs.
    pub fn build(reference: &str) -> anyhow::Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let commit = git(&root, &["rev-parse", "--short", &format!("{reference}^{{commit}}")])?;
        let base = std::env::temp_dir().join("tutorchat-compare");
        let tree = base.join(&commit);
        if !tree.join("Cargo.toml").is_file() {
            std::fs::create_dir_all(&base)?;
            let _ = git(&root, &["worktree", "prune"]);
            git(&root, &["worktree", "add", "--detach", &tree.to_string_lossy(), &commit])?;
        }
        eprintln!("building {reference} ({commit}) in {}", tree.display());
        let target = base.join("target");
        let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--quiet", "-p", "tutorchat", "--target-dir"])
            .arg(&target)
            .current_dir(&tree)
            .status()?;
        anyhow::ensure!(status.success(), "cargo build of {reference} failed");
        Ok(Self {
            binary: target.join("release/tutorchat"),
            revision: format!("{reference} ({commit})"),
            pg_settings: Vec::new(),
            setup_sql: Vec::new(),
        })
    }
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output()?;
    anyhow::ensure!(out.status.success(), "git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Cluster {
    /// The topology with `server`'s binary.
    pub async fn start_on(server: &Server, replicas: usize, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with(server, replicas, env, false).await
    }

    /// [`Cluster::start_on`] with a streaming standby that every replica reads from
    /// (`READ_DATABASE_URL`) unless its environment says otherwise.
    pub async fn start_with_standby(server: &Server, replicas: usize, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with(server, replicas, env, true).await
    }

    async fn start_with(server: &Server, replicas: usize, env: &[(&str, &str)], standby: bool) -> anyhow::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let binary = server.binary.clone();
        let mut vars: Vec<(String, String)> = vec![
            ("JWT_SECRET".into(), SECRET.into()),
            ("RUST_LOG".into(), "warn".into()),
            ("DB_POOL_SIZE".into(), "32".into()),
            // The senders are load generators, not people: no per-user rates or stream caps.
            ("RATE_WRITES_PER_SEC".into(), "1000000".into()),
            ("RATE_WRITES_BURST".into(), "1000000".into()),
            ("RATE_STREAM_OPENS_PER_SEC".into(), "1000000".into()),
            ("RATE_STREAM_OPENS_BURST".into(), "1000000".into()),
            ("RATE_READS_PER_SEC".into(), "1000000".into()),
            ("RATE_READS_BURST".into(), "1000000".into()),
            ("RATE_COSTLY_READS_AT_ONCE".into(), "1000000".into()),
            ("SSE_MAX_STREAMS_PER_USER".into(), "1000000".into()),
        ];
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let options = Options {
            binary,
            replicas,
            front: "127.0.0.1:0".parse()?,
            base: std::env::temp_dir().join(format!(
                "tutorchat-bench-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )),
            durable: true,
            remove_on_exit: true,
            nginx: false,
            env: vars,
            demo: false,
            pg_bindir: tutorchat::config::pg_bindir_from_env()?,
            standby,
            pg_settings: server.pg_settings.clone(),
            backups: false,
            ha: false,
        };
        let topology = tokio::task::spawn_blocking(move || Topology::start(options)).await??;
        let (sql, connection) = tutorchat::config::parse_database_url(topology.database_url())?.connect(NoTls).await?;
        tokio::spawn(connection);
        for statement in &server.setup_sql {
            sql.batch_execute(statement).await?;
        }
        let urls = (0..topology.replica_count()).map(|i| topology.replica_url(i)).collect();
        Ok(Self { topology: Some(topology), sql, urls })
    }

    pub fn topology(&self) -> &Topology {
        self.topology.as_ref().expect("running")
    }

    /// Whether this build's replicas serve `path` at all (an older `--compare` reference may
    /// not: the router answers an unknown path 404).
    pub async fn serves(&self, path: &str) -> anyhow::Result<bool> {
        let response = reqwest::get(format!("{}{path}", self.urls[0])).await?;
        Ok(response.status() != reqwest::StatusCode::NOT_FOUND)
    }

    pub fn topology_mut(&mut self) -> &mut Topology {
        self.topology.as_mut().expect("running")
    }

    pub async fn stop(mut self) {
        if let Some(topology) = self.topology.take() {
            let _ = tokio::task::spawn_blocking(move || drop(topology)).await;
        }
    }
}

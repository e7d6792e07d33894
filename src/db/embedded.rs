//! A private PostgreSQL started from the machine's own server binaries: for development, the
//! demo and the tests when `DATABASE_URL` is unset, and for the restore drill's scratch server
//! (`src/backup/drill.rs`).
//!
//! PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. It
//! listens on a Unix socket in a private directory only (no TCP port to collide with). A small
//! `sh` watchdog starts it with `pg_ctl` and owns it: the watchdog's stdin is a pipe from this
//! process, so when this process exits — cleanly, by panic or by `kill -9` — the watchdog sees
//! EOF, stops the server and cleans up. Nothing is left running.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use nix::unistd::{Gid, Uid, User, chown, geteuid};

const WATCHDOG: &str = r#"
"$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "$PG_OPTS" -w -t "$PG_WAIT" start >/dev/null 2>&1 || exit 1
echo ready
cat >/dev/null
"$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
rm -rf "$PG_SOCKET"
if [ -n "$PG_REMOVE" ]; then rm -rf "$PG_REMOVE"; fi
"#;

/// How the private server is run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Durable (`true`) for data worth keeping; tests turn it off for speed.
    pub durable: bool,
    /// Delete the whole base directory when the server stops (tests).
    pub remove_on_exit: bool,
    /// PostgreSQL's server binaries (`PG_BINDIR`); `None`: search `PATH`, then
    /// `/usr/lib/postgresql/<N>/bin`.
    pub bindir: Option<PathBuf>,
    /// Server settings on top of these (`-c name=value`; a standby started from this server
    /// inherits them), e.g. the benchmark's `shared_buffers`.
    pub settings: Vec<(String, String)>,
}

/// A running private server; dropping it stops the server.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    /// `None` only while [`EmbeddedPostgres::launch`] starts it.
    watchdog: Option<Child>,
    base: PathBuf,
    data: PathBuf,
    log: PathBuf,
    socket_dir: PathBuf,
    bindir: PathBuf,
    owner: Option<(Uid, Gid)>,
    /// The server options given to `pg_ctl -o`.
    server_options: String,
    /// How long to wait for the server to accept connections, in seconds.
    wait_secs: u64,
}

impl EmbeddedPostgres {
    /// Initialises `base/data` if needed and starts the server on a private socket.
    pub fn start(base: &Path, options: Options) -> anyhow::Result<Self> {
        Self::start_waiting(base, options, 60)
    }

    /// A server whose data `restore` writes (the command it returns, given the data folder, is
    /// run as the server's user), then started as [`start`](Self::start) would, waiting up to
    /// `wait` for it to accept connections (a recovery can take long). For restore drills.
    pub fn start_restored(
        base: &Path,
        options: Options,
        wait: std::time::Duration,
        restore: impl FnOnce(&Path) -> Command,
    ) -> anyhow::Result<Self> {
        let owner = server_user()?;
        let base = usable_base(base, owner)?;
        let mut command = restore(&base.join("data"));
        let out = as_owner(&mut command, owner).output().context("cannot run the restore")?;
        if !out.status.success() {
            let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            bail!("the restore failed: {}", last_line(&said));
        }
        Self::start_waiting(&base, options, wait.as_secs().max(1))
    }

    fn start_waiting(base: &Path, options: Options, wait_secs: u64) -> anyhow::Result<Self> {
        let bindir = find_bindir(options.bindir.as_deref())?;
        let owner = server_user()?;
        let base = usable_base(base, owner)?;
        let data = base.join("data");
        let log = base.join("postgres.log");

        if !data.join("PG_VERSION").exists() {
            let mut initdb = Command::new(bindir.join("initdb"));
            initdb.arg("-D").arg(&data).args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]);
            if !options.durable {
                initdb.arg("-N");
            }
            let out = as_owner(&mut initdb, owner).output().context("cannot run initdb")?;
            if !out.status.success() {
                let err = String::from_utf8_lossy(&out.stderr);
                bail!("initdb failed in {}: {}", data.display(), last_line(&err));
            }
        }

        let socket_dir = socket_dir(owner)?;
        let mut server_options = format!("-k {} -c listen_addresses='' -c max_connections=300", socket_dir.display());
        if !options.durable {
            // (With commits not flushed, the WAL writer's pace is a standby's: 10 ms, not 200.)
            server_options
                .push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_writer_delay=10ms");
        }
        for (name, value) in &options.settings {
            server_options.push_str(&format!(" -c {name}={value}"));
        }
        let remove = options.remove_on_exit.then(|| base.clone());
        Self::launch(
            Self { watchdog: None, base, data, log, socket_dir, bindir, owner, server_options, wait_secs },
            remove,
        )
    }

    /// Starts `server`'s PostgreSQL under its watchdog (which removes `remove` when it stops the
    /// server) and waits until it accepts connections.
    fn launch(mut server: Self, remove: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut sh = Command::new("/bin/sh");
        sh.arg("-c")
            .arg(WATCHDOG)
            .env("PG_BIN", &server.bindir)
            .env("PG_DATA", &server.data)
            .env("PG_SOCKET", &server.socket_dir)
            .env("PG_LOG", &server.log)
            .env("PG_OPTS", &server.server_options)
            .env("PG_WAIT", server.wait_secs.to_string())
            .env("PG_REMOVE", remove.as_deref().unwrap_or("".as_ref()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0); // a Ctrl-C in the terminal is ours to handle, not the server's
        let mut watchdog = as_owner(&mut sh, server.owner).spawn().context("cannot start the PostgreSQL watchdog")?;
        let stdout = watchdog.stdout.take().context("the PostgreSQL watchdog has no stdout")?;
        server.watchdog = Some(watchdog);
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        if line.trim() != "ready" {
            bail!("PostgreSQL did not start: {}", server.log_excerpt());
        }
        Ok(server)
    }

    /// The last FATAL line of the server log (or its last line), with the log's path.
    fn log_excerpt(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let why = text.lines().rev().find(|l| l.contains("FATAL")).unwrap_or_else(|| last_line(&text));
        format!("{why} (log: {})", self.log.display())
    }

    /// `pg_ctl <action>`, stopping in `mode` (fast: sessions terminated; immediate: a crash).
    fn pg_ctl(&self, action: &str, mode: &str) -> anyhow::Result<()> {
        let mut command = Command::new(self.bindir.join("pg_ctl"));
        command.arg("-D").arg(&self.data).arg("-l").arg(&self.log).args(["-m", mode, "-w", "-t", "60"]);
        command.arg("-o").arg(&self.server_options).arg(action).stdout(Stdio::null()).stderr(Stdio::null());
        let status =
            as_owner(&mut command, self.owner).status().with_context(|| format!("cannot run pg_ctl {action}"))?;
        if !status.success() {
            bail!("pg_ctl {action} failed: {}", self.log_excerpt());
        }
        Ok(())
    }

    /// Stops the server (fast shutdown: sessions are terminated), for fault tests.
    pub fn stop_server(&self) -> anyhow::Result<()> {
        self.pg_ctl("stop", "fast")
    }

    /// Starts the server again after [`stop_server`](Self::stop_server).
    pub fn start_server(&self) -> anyhow::Result<()> {
        self.pg_ctl("start", "fast")
    }

    /// Starts a streaming standby of this server in `base` (a hot standby: it answers reads):
    /// `pg_basebackup` with the WAL streamed and the standby's settings written (`-R`), then the
    /// copy started on a socket of its own. Its data goes with it when it stops.
    pub fn start_standby(&self, base: &Path) -> anyhow::Result<Self> {
        let base = usable_base(base, self.owner)?;
        let data = base.join("data");
        let _ = std::fs::remove_dir_all(&data);
        let mut backup = Command::new(self.bindir.join("pg_basebackup"));
        backup.arg("-D").arg(&data).arg("-h").arg(&self.socket_dir).args(["-p", "5432", "-U", "postgres"]);
        backup.args(["-X", "stream", "-R", "-c", "fast"]);
        let out = as_owner(&mut backup, self.owner).output().context("cannot run pg_basebackup")?;
        if !out.status.success() {
            bail!("pg_basebackup failed: {}", last_line(&String::from_utf8_lossy(&out.stderr)));
        }
        let socket_dir = socket_dir(self.owner)?;
        let server_options = self.server_options.replacen(
            &format!("-k {}", self.socket_dir.display()),
            &format!("-k {} -c hot_standby=on", socket_dir.display()),
            1,
        );
        let log = base.join("postgres.log");
        let (bindir, owner, wait_secs) = (self.bindir.clone(), self.owner, self.wait_secs);
        let remove = Some(base.clone());
        Self::launch(
            Self { watchdog: None, base, data, log, socket_dir, bindir, owner, server_options, wait_secs },
            remove,
        )
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`), for fault tests.
    pub fn kill_server(&self) -> anyhow::Result<()> {
        self.pg_ctl("stop", "immediate")
    }

    /// Connection settings for one database of this server.
    pub fn config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config.host_path(&self.socket_dir).port(5432).user("postgres").dbname(dbname);
        config
    }

    /// A `DATABASE_URL` (key=value form) for `dbname` on this server.
    pub fn url(&self, dbname: &str) -> String {
        format!("host={} port=5432 user=postgres dbname={dbname}", self.socket_dir.display())
    }

    /// A `psql` command line that reaches `dbname` on this server.
    pub fn psql_command(&self, dbname: &str) -> String {
        format!("psql \"host={} user=postgres dbname={dbname}\"", self.socket_dir.display())
    }

    /// The folder of the server binaries (pgbench lives there too).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// The Unix socket directory.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The cluster's data folder (`PGDATA`).
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    pub fn base_dir(&self) -> &Path {
        &self.base
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            drop(watchdog.stdin.take()); // EOF: the watchdog stops the server
            let _ = watchdog.wait();
        }
    }
}

fn last_line(text: &str) -> &str {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no output)")
}
/// `configured` (`PG_BINDIR`), else `initdb` on `PATH`, else the newest
/// `/usr/lib/postgresql/<N>/bin`.
pub fn find_bindir(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = configured {
        if has_server(dir) {
            return Ok(dir.to_owned());
        }
        bail!("PG_BINDIR: {} does not contain initdb and postgres", dir.display());
    }
    if let Some(dir) = std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).find(|d| has_server(d))) {
        // Where initdb really is (a symlink's target folder also holds pg_basebackup and pgbench).
        let real = dir.join("initdb").canonicalize().ok().and_then(|p| p.parent().map(Path::to_owned));
        return Ok(real.filter(|d| has_server(d)).unwrap_or(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_server(bin))
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "DATABASE_URL is not set and no PostgreSQL server binaries (initdb, postgres) were found in PG_BINDIR, PATH or /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to a running server"
        ),
    }
}

/// The user the server runs as: ourselves, or `postgres` when we are root.
fn server_user() -> anyhow::Result<Option<(Uid, Gid)>> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    match User::from_name("postgres").context("cannot look up the postgres user")? {
        Some(user) => Ok(Some((user.uid, user.gid))),
        None => bail!(
            "running as root and PostgreSQL refuses root, but there is no `postgres` user to run it as: create one (useradd --system postgres), run as a normal user, or set DATABASE_URL"
        ),
    }
}

/// `command`, to be run as the user a private server runs as (`postgres` when we are root): the
/// user pgBackRest's repository and archive belong to.
pub fn as_server_user(command: &mut Command) -> anyhow::Result<&mut Command> {
    Ok(as_owner(command, server_user()?))
}

/// Makes `path` belong to the user a private server runs as (a no-op unless we are root): for
/// files only that user may read, such as pgBackRest's configuration with its passphrase.
pub fn give_to_server_user(path: &Path) -> anyhow::Result<()> {
    if let Some((uid, gid)) = server_user()? {
        chown(path, Some(uid), Some(gid)).with_context(|| format!("cannot chown {}", path.display()))?;
    }
    Ok(())
}

fn as_owner(command: &mut Command, owner: Option<(Uid, Gid)>) -> &mut Command {
    if let Some((uid, gid)) = owner {
        command.uid(uid.as_raw()).gid(gid.as_raw());
    }
    command
}

/// `base`, created and handed to the user a private server runs as (see [`usable_base`]): for
/// servers started by other tools (Patroni's, in the HA topology).
pub fn server_base(base: &Path) -> anyhow::Result<PathBuf> {
    usable_base(base, server_user()?)
}

/// A short, private socket directory owned by the server's user.
pub fn server_socket_dir() -> anyhow::Result<PathBuf> {
    socket_dir(server_user()?)
}

/// Creates `base`, owned by the server's user. As root, a folder the `postgres` user cannot
/// reach (under /root, say) is replaced by one under /var/tmp, and we say so.
fn usable_base(base: &Path, owner: Option<(Uid, Gid)>) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(base).with_context(|| format!("cannot create {}", base.display()))?;
    let base = base.canonicalize().with_context(|| format!("cannot resolve {}", base.display()))?;
    let Some((uid, gid)) = owner else {
        return Ok(base);
    };
    chown(&base, Some(uid), Some(gid))
        .with_context(|| format!("cannot hand {} to the postgres user", base.display()))?;
    let reachable =
        as_owner(Command::new("/bin/sh").args(["-c", "test -w \"$1\" && test -x \"$1\"", "sh"]).arg(&base), owner)
            .status()
            .is_ok_and(|s| s.success());
    if reachable {
        return Ok(base);
    }
    let hash =
        base.to_string_lossy().bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    let fallback = PathBuf::from(format!("/var/tmp/tutorchat-{hash:016x}"));
    eprintln!(
        "tutorchat: the postgres user cannot reach {}; keeping the private database in {} instead",
        base.display(),
        fallback.display()
    );
    std::fs::create_dir_all(&fallback).with_context(|| format!("cannot create {}", fallback.display()))?;
    chown(&fallback, Some(uid), Some(gid))?;
    Ok(fallback)
}

/// A short, private socket directory (socket paths are limited to ~107 bytes).
fn socket_dir(owner: Option<(Uid, Gid)>) -> anyhow::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir =
        std::env::temp_dir().join(format!("tcpg-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new().mode(0o700).create(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if let Some((uid, gid)) = owner {
        chown(&dir, Some(uid), Some(gid))?;
    }
    Ok(dir)
}

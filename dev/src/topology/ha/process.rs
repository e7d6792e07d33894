//! The processes of the HA topology: each runs under a small `sh` watchdog that owns it (when
//! this process ends, even by `kill -9`, the watchdog sees its stdin close and stops the process
//! it watches), and how the cluster waits for them.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const WATCHDOG: &str = r#"
"$@" >>"$WATCHED_LOG" 2>&1 </dev/null &
echo $!
cat >/dev/null
kill -TERM $! 2>/dev/null
wait
"#;

/// A process under its watchdog.
pub(super) struct Watched {
    watchdog: Child,
    pub(super) pid: i32,
}

impl Watched {
    /// Starts `command` (as the server's user) under a watchdog, its output appended to `log`.
    pub(super) fn start(program: &Path, args: &[String], log: &Path) -> anyhow::Result<Self> {
        let mut sh = Command::new("/bin/sh");
        sh.arg("-c").arg(WATCHDOG).arg("sh").arg(program).args(args).env("WATCHED_LOG", log);
        sh.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).process_group(0);
        let mut watchdog = tutorchat::db::embedded::as_server_user(&mut sh)?
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stdout = watchdog.stdout.take().context("the watchdog has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let pid = line.trim().parse().with_context(|| format!("{} did not start", program.display()))?;
        Ok(Self { watchdog, pid })
    }

    /// `kill -9` of the watched process (its watchdog then waits for the end of stdin).
    pub(super) fn kill(&self) {
        let _ = kill(Pid::from_raw(self.pid), Signal::SIGKILL);
    }

    /// SIGTERM through the watchdog, waiting up to `grace` before `kill -9`.
    pub(super) fn stop(mut self, grace: Duration) {
        drop(self.watchdog.stdin.take());
        let deadline = Instant::now() + grace;
        while self.watchdog.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.watchdog.try_wait().ok().flatten().is_none() {
            self.kill();
            let _ = self.watchdog.wait();
        }
    }
}

pub(super) fn which(program: &str) -> anyhow::Result<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
        .with_context(|| format!("{program} is not installed (Debian: apt-get install patroni etcd-server)"))
}

pub(super) fn wait_until(within: Duration, what: &str, mut ready: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while !ready() {
        if Instant::now() > deadline {
            bail!("no {what} within {} s", within.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

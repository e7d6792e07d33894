//! A replica's process: spawning it with its environment, waiting until it is ready, and
//! what the fault tests do to it (kill, pause, resume, terminate, restart). Its own file
//! because the life of one process is a concern apart from assembling and describing the
//! whole topology.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::Topology;
use crate::ports::http_status;

impl Topology {
    pub(super) fn spawn_replica(&mut self, i: usize) -> anyhow::Result<()> {
        let read_url = self.read_database_url();
        let replica = &mut self.replicas[i];
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&replica.log)?;
        let mut command = Command::new(&self.options.binary);
        command.arg("serve");
        command
            .env("DATABASE_URL", &self.runtime_url)
            .env_remove("MIGRATION_DATABASE_URL")
            .env_remove("READ_DATABASE_URL")
            .env("LISTEN_ADDR", replica.addr.to_string())
            .env("TUTORCHAT_STOP_ON_EOF", "1")
            .env("DEV_LOGIN", if self.options.demo { "true" } else { "false" });
        // The replicas share one directory of attachments (unless told where, or to use S3).
        let told = |name: &str| self.options.env.iter().chain(&replica.env).any(|(k, _)| k == name);
        if !tutorchat::config::storage_in_env() && !told("STORAGE_DIR") && !told("S3_BUCKET") {
            command.env("STORAGE_DIR", self.options.base.join("attachments"));
        }
        if let Some(url) = read_url {
            command.env("READ_DATABASE_URL", url);
        }
        command
            .envs(self.options.env.iter().map(|(k, v)| (k, v)))
            .envs(replica.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log);
        replica.process =
            Some(command.spawn().with_context(|| format!("cannot start {}", self.options.binary.display()))?);
        Ok(())
    }

    pub(super) fn wait_ready(&mut self, i: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let replica = &mut self.replicas[i];
        loop {
            if http_status(replica.addr, "/readyz") == Some(200) {
                return Ok(());
            }
            if let Some(process) = replica.process.as_mut()
                && let Some(status) = process.try_wait()?
            {
                let log = std::fs::read_to_string(&replica.log).unwrap_or_default();
                bail!("replica {} exited ({status}): {}", i + 1, log.lines().last().unwrap_or("(no output)"));
            }
            if Instant::now() > deadline {
                bail!("replica {} was not ready within 60 s (log: {})", i + 1, replica.log.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts replica `i` (again) with `env` added to its environment from now on (a fault
    /// test runs one replica under a skewed clock this way), and waits until it is ready.
    pub fn start_replica_with(&mut self, i: usize, env: &[(&str, &str)]) -> anyhow::Result<()> {
        self.replicas[i].env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.start_replica(i)
    }

    /// Starts replica `i` (again) on its port and waits until it is ready.
    pub fn start_replica(&mut self, i: usize) -> anyhow::Result<()> {
        self.spawn_replica(i)?;
        self.wait_ready(i)
    }

    /// `kill -9`: the replica dies mid-whatever, without closing anything.
    pub fn kill_replica(&mut self, i: usize) -> anyhow::Result<()> {
        if let Some(mut process) = self.replicas[i].process.take() {
            process.kill()?;
            process.wait()?;
        }
        Ok(())
    }

    /// `kill -STOP`: the replica is frozen (a long GC-like pause, a stopped container) with
    /// every connection left open; [`Topology::resume_replica`] lets it go on.
    pub fn pause_replica(&mut self, i: usize) -> anyhow::Result<()> {
        self.signal_replica(i, Signal::SIGSTOP)
    }

    /// `kill -CONT` after [`Topology::pause_replica`].
    pub fn resume_replica(&mut self, i: usize) -> anyhow::Result<()> {
        self.signal_replica(i, Signal::SIGCONT)
    }

    fn signal_replica(&mut self, i: usize, signal: Signal) -> anyhow::Result<()> {
        if let Some(process) = &self.replicas[i].process {
            kill(Pid::from_raw(process.id() as i32), signal)?;
        }
        Ok(())
    }

    /// SIGTERM and wait: the graceful path a rolling restart takes. Returns how long it took.
    pub fn terminate_replica(&mut self, i: usize) -> anyhow::Result<Duration> {
        let started = Instant::now();
        if let Some(mut process) = self.replicas[i].process.take() {
            kill(Pid::from_raw(process.id() as i32), Signal::SIGTERM)?;
            process.wait()?;
        }
        Ok(started.elapsed())
    }
}

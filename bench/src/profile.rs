//! `--perf DIR`: a system-wide `perf record` (software clock, call graphs) around the phases
//! the issue asks to explain, in the first round only. Each phase leaves `DIR/<name>.data`,
//! `DIR/<name>.txt` (where the samples went: by process, then by function with its callees,
//! above 1 %) and, when `inferno-collapse-perf` and `inferno-flamegraph` are on the PATH
//! (`cargo install inferno`), `DIR/<name>.svg`. Recording costs CPU on this two-core machine,
//! so a profiling run writes no results: its figures are not the measurement.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};

use tokio::process::{Child, Command};

static DIR: OnceLock<PathBuf> = OnceLock::new();
/// Phases already recorded: later rounds run unobserved.
static TAKEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// Profiles from now on go to `dir`.
pub fn enable(dir: PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let _ = DIR.set(dir);
    Ok(())
}

pub fn enabled() -> bool {
    DIR.get().is_some()
}

/// `rounds`, `times` over when profiling is on: S4's phases take under a second (a few hundred
/// samples), too few to say where the time goes.
pub fn lengthened(rounds: usize, times: usize) -> usize {
    if enabled() { rounds * times } else { rounds }
}

/// Runs `work`, recorded as `name` if profiling is on and `name` was not recorded yet.
pub async fn during<T>(name: &'static str, work: impl Future<Output = T>) -> T {
    let recording = match DIR.get() {
        Some(dir) if TAKEN.lock().expect("profile names").insert(name) => Recording::start(dir, name).await,
        _ => None,
    };
    let out = work.await;
    if let Some(recording) = recording
        && let Err(e) = recording.finish().await
    {
        eprintln!("profile {name}: {e:#}");
    }
    out
}

struct Recording {
    child: Child,
    data: PathBuf,
}

impl Recording {
    /// Starts perf with its events off and returns once it has turned them on, so that the
    /// profile holds the phase and not perf's own start (half a second on this machine).
    async fn start(dir: &Path, name: &str) -> Option<Self> {
        let data = dir.join(format!("{name}.data"));
        let (ctl, ack) = (dir.join(format!("{name}.ctl")), dir.join(format!("{name}.ack")));
        for fifo in [&ctl, &ack] {
            let _ = std::fs::remove_file(fifo);
            if let Err(e) = nix::unistd::mkfifo(fifo, nix::sys::stat::Mode::S_IRUSR | nix::sys::stat::Mode::S_IWUSR) {
                eprintln!("profile {name}: no control fifo: {e}");
                return None;
            }
        }
        // -F 499: below the clock tick multiples, about 1,000 samples a second on two cores.
        let spawned = Command::new("perf")
            .args(["record", "-a", "-g", "-F", "499", "--quiet", "--delay=-1", "--control"])
            .arg(format!("fifo:{},{}", ctl.display(), ack.display()))
            .arg("-o")
            .arg(&data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let recording = match spawned {
            Err(e) => {
                eprintln!("profile {name}: perf did not start: {e}");
                None
            }
            Ok(child) => {
                let enabled = tokio::task::spawn_blocking({
                    let (ctl, ack) = (ctl.clone(), ack.clone());
                    move || switch_on(&ctl, &ack)
                });
                match tokio::time::timeout(std::time::Duration::from_secs(30), enabled).await {
                    Ok(Ok(Ok(()))) => Some(Self { child, data }),
                    outcome => {
                        eprintln!("profile {name}: perf did not start recording: {outcome:?}");
                        // Unblocks `switch_on` if it still waits for perf to open the ack fifo.
                        let _ = std::fs::OpenOptions::new().write(true).open(&ack);
                        None // dropping the child kills perf
                    }
                }
            }
        };
        // perf keeps the fifos it opened; their names are no longer needed.
        for fifo in [&ctl, &ack] {
            let _ = std::fs::remove_file(fifo);
        }
        recording
    }

    async fn finish(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().ok_or_else(|| anyhow::anyhow!("perf ended early"))?;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGINT)?;
        self.child.wait().await?;
        let by_process = report(&self.data, &["--no-children", "--sort", "comm"]).await?;
        let by_function = report(&self.data, &["--children", "--sort", "comm,sym", "--percent-limit", "1"]).await?;
        std::fs::write(
            self.data.with_extension("txt"),
            format!("# by process\n{by_process}\n# by function, with callees (children), over 1 %\n{by_function}"),
        )?;
        if let Err(e) = flame_graph(&self.data).await {
            eprintln!("profile: no flame graph for {}: {e:#}", self.data.display());
        }
        eprintln!("profile: {}", self.data.with_extension("txt").display());
        Ok(())
    }
}

/// Tells perf, through its control fifos, to turn its events on, and waits for its ack. perf
/// opens `ctl`, then `ack` for writing, once it is set up, which is when opening `ack` here
/// returns. `ctl` is opened without blocking: if perf is gone, that fails instead of waiting
/// for a reader forever (which would also hold the runtime's shutdown).
fn switch_on(ctl: &Path, ack: &Path) -> std::io::Result<()> {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let mut ack = std::fs::File::open(ack)?;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(ctl)?
        .write_all(b"enable\n")?;
    let mut answer = [0u8; 4];
    ack.read_exact(&mut answer)?;
    if &answer != b"ack\n" {
        return Err(std::io::Error::other(format!("perf answered {answer:?}")));
    }
    Ok(())
}

async fn report(data: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("perf")
        .args(["report", "--stdio", "-q", "-g", "none", "-i"])
        .arg(data)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .await?;
    anyhow::ensure!(out.status.success(), "perf report failed");
    // Addresses perf could not name say nothing to a reader.
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("[.] 0x") && !l.contains("[k] 0x"))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// `perf script | inferno-collapse-perf | inferno-flamegraph` into `<data>.svg`.
async fn flame_graph(data: &Path) -> anyhow::Result<()> {
    let script = Command::new("perf").args(["script", "-i"]).arg(data).stderr(Stdio::null()).output().await?;
    anyhow::ensure!(script.status.success(), "perf script failed");
    let folded = pipe("inferno-collapse-perf", &[], script.stdout).await?;
    let title = format!("--title={}", data.file_stem().unwrap_or_default().to_string_lossy());
    let svg = pipe("inferno-flamegraph", &[&title, "--minwidth", "0.5"], folded).await?;
    std::fs::write(data.with_extension("svg"), svg)?;
    Ok(())
}

async fn pipe(program: &str, args: &[&str], input: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    use tokio::io::AsyncWriteExt;
    let mut child =
        Command::new(program).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = tokio::spawn(async move { stdin.write_all(&input).await });
    let out = child.wait_with_output().await?;
    writer.await??;
    anyhow::ensure!(out.status.success(), "{program} failed");
    Ok(out.stdout)
}

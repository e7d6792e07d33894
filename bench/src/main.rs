//! tutorchat-bench: measures tutorchat on this machine and writes docs/benchmarks.md.
//!
//!     cargo run --release -p tutorchat-bench                 # every scenario, then the report
//!     cargo run --release -p tutorchat-bench -- --only s1,s5 # some scenarios (others kept)
//!     cargo run --release -p tutorchat-bench -- report       # the report from the last results
//!     cargo run --release -p tutorchat-bench -- --only s1 --compare main~3  # S1 against another revision
//!     cargo run --release -p tutorchat-bench -- --only s5 --repeat 5          # five rounds instead of three
//!     cargo run --release -p tutorchat-bench -- --only s4 --repeat 1 --perf target/perf  # profiles, no results
//!     cargo run --release -p tutorchat-bench -- --only s7                     # retention on S4's data set
//!     cargo run --release -p tutorchat-bench -- --only s8                     # search, and its cost to S1
//!     cargo run --release -p tutorchat-bench -- --only s8s --chats 10000 --out /tmp/b  # S8's searches, smaller
//!     cargo run --release -p tutorchat-bench -- --only s1-audience            # S1 to 2 and to 2,000 members
//!     cargo run --release -p tutorchat-bench -- --only s10                    # against socket.io, driven by wrk
//!     cargo run --release -p tutorchat-bench -- --only s11                    # senders beside three adversaries
//!
//! (`hold` is internal: S3 runs the tool again as helper processes that hold streams open.)
//!
//! Each scenario starts its own topology (private PostgreSQL with fsync on, release replicas)
//! and its own load, then stops everything. Results go to docs/bench/results.json.

mod load;
mod profile;
mod report;
mod rounds;
mod scenarios;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(about = "Benchmarks tutorchat on this machine and writes docs/benchmarks.md")]
struct Cli {
    /// `run` (default) or `report` (regenerate docs from the last results only).
    #[arg(default_value = "run")]
    action: String,
    /// Comma-separated scenarios to run (s1,s2,s3,s4,s5,s6,s7,s8; s3u: only S3's one-stream-per-user part; s4 and s6 run together, on one data set, and s7 after them on the same one, or on a data set seeded for it alone; s8 seeds a data set of its own, with words; s8s: only S8's searches, s8w: only its S1 with and without search; s9: S1 with and without flag terms; s12: S1 with and without the wall between schools; s1-audience: S1 to a direct chat and to announcements of 2 and 2,000 members; s10: against socket.io with its PostgreSQL adapter, both driven by wrk; s11: ordinary senders alone and beside each of three adversaries: texts of 10,000 @s to a 499-member group, read receipts of the longest list, anonymous inquiry opens at the limit's rate); the others keep their last results.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Short runs and small data sets: a smoke test of the tool, not a measurement.
    #[arg(long)]
    quick: bool,
    /// How many times each scenario runs (the report shows each key figure's median and range);
    /// 3 by default, 1 with `--quick`. S4 seeds its data set once and repeats its reads (and S6
    /// its audits) on it.
    #[arg(long)]
    repeat: Option<usize>,
    /// Also build this git revision (commit, tag, branch) and run each scenario with it in the
    /// same run, rounds alternating with this tree's, so a regression shows as a ratio. (S4 and
    /// S6 seed a data set for each build: twice the time.)
    #[arg(long, value_name = "REF")]
    compare: Option<String>,
    /// A PostgreSQL setting for every cluster of the run, e.g. `shared_buffers=1GB` (repeat
    /// for several; no spaces). S4 reports the `shared_buffers` it ran with.
    #[arg(long, value_name = "NAME=VALUE", value_parser = pg_setting)]
    pg_setting: Vec<(String, String)>,
    /// Record system-wide profiles (`perf record -a -g`) of S1's and S4's phases that issue 17
    /// asks to explain, in the first round, into DIR (see bench/src/profile.rs). A profiling
    /// run writes no results: recording costs CPU, so its figures are not the measurement.
    #[arg(long, value_name = "DIR")]
    perf: Option<PathBuf>,
    /// S7: start no further slice of the purge once the slices so far took this many minutes
    /// (the report says what was purged); unset, the whole tenth is purged.
    #[arg(long, value_name = "MINUTES")]
    purge_minutes: Option<f64>,
    /// S4 (with S6 and S7) and S8: chats in the data set, a multiple of 500 (100 messages each,
    /// 20 with `--quick`); 100,000 by default, 1,000 with `--quick`.
    #[arg(long)]
    chats: Option<i64>,
    /// Drop one delivery on purpose in S2, to check that the tool reports it as lost.
    #[arg(long)]
    drop_one: bool,
    /// Take one event's position in S2 as 0 on purpose, to check that the tool reports it out of order.
    #[arg(long)]
    misorder_one: bool,
    /// Where results.json and the charts go (docs/bench) and benchmarks.md (docs).
    #[arg(long, default_value = "docs")]
    out: PathBuf,
    /// `hold` (S3's helper processes): the stream URL, token, count and source address.
    #[arg(long, hide = true)]
    url: Option<String>,
    #[arg(long, hide = true)]
    token: Option<String>,
    #[arg(long, hide = true, default_value_t = 0)]
    count: usize,
    #[arg(long, hide = true, default_value = "127.0.0.1")]
    local_addr: std::net::IpAddr,
    /// `hold` without `--token`: one stream each for the `count` users from this id on, with
    /// tokens signed by the benchmark's secret (`scripts/heap-profile --users`).
    #[arg(long, hide = true)]
    first_user: Option<i64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Results {
    pub machine: Option<report::Machine>,
    pub command: Option<String>,
    pub s1: Option<scenarios::S1>,
    pub s2: Option<scenarios::S2>,
    pub s3: Option<scenarios::S3>,
    pub s4: Option<scenarios::S4>,
    pub s5: Option<scenarios::S5>,
    #[serde(default)]
    pub s6: Option<scenarios::S6>,
    #[serde(default)]
    pub s7: Option<scenarios::S7>,
    #[serde(default)]
    pub s8: Option<scenarios::S8>,
    /// S9: S1 with the school's flag terms and without them.
    #[serde(default)]
    pub s9: Option<scenarios::WriteCost>,
    /// S12: S1 with the wall between schools and without it.
    #[serde(default)]
    pub s12: Option<scenarios::WriteCost>,
    /// S1 by audience: a message to a direct chat, to an announcement of 2 and of 2,000 members.
    #[serde(default)]
    pub s1_audience: Option<scenarios::S1Audience>,
    /// S10: against socket.io with its PostgreSQL adapter, both driven by wrk.
    #[serde(default)]
    pub s10: Option<scenarios::S10>,
    /// S11: ordinary senders alone and beside each of three adversaries (texts of 10,000 `@`s
    /// to a 499-member group, read receipts of the longest list, anonymous inquiry opens).
    #[serde(default)]
    pub s11: Option<scenarios::S11>,
    /// Every round of each scenario, by scenario ("s1" … "s11"; "s8-writes": S8's S1 with and
    /// without search), from the run that measured it.
    #[serde(default)]
    pub rounds: std::collections::BTreeMap<String, rounds::Rounds>,
    /// The load generator's own ceiling, measured in the last run.
    #[serde(default)]
    pub generator: Option<load::Generator>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    raise_file_limit();
    if cli.action == "hold" {
        let url = cli.url.ok_or_else(|| anyhow::anyhow!("hold needs --url"))?;
        let tokens = match (cli.token, cli.first_user) {
            (Some(token), None) => vec![token],
            (None, Some(first)) => (first..first + cli.count as i64).map(load::token).collect(),
            _ => anyhow::bail!("hold needs --token or --first-user"),
        };
        return scenarios::hold(url, tokens, cli.count, cli.local_addr).await;
    }
    let results_path = cli.out.join("bench/results.json");
    let mut results: Results =
        std::fs::read(&results_path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
    if cli.action == "run" {
        if let Some(dir) = &cli.perf {
            profile::enable(dir.clone())?;
        }
        let measuring = !cli.quick && !profile::enabled();
        let wants = |s: &str| cli.only.is_empty() || cli.only.iter().any(|o| o == s);
        let run = if cli.quick { Duration::from_secs(2) } else { Duration::from_secs(10) };
        let repeat = cli.repeat.unwrap_or(if cli.quick { 1 } else { 3 });
        let data_set: (i64, i64) =
            (cli.chats.unwrap_or(if cli.quick { 1_000 } else { 100_000 }), if cli.quick { 20 } else { 100 });
        let senders: &[usize] = if cli.quick { &[8] } else { &[32, 64, 128] };
        let mut this = scenarios::Server::this()?;
        let mut reference = cli.compare.as_deref().map(scenarios::Server::build).transpose()?;
        for server in std::iter::once(&mut this).chain(reference.as_mut()) {
            server.pg_settings = cli.pg_setting.clone();
        }
        let reference = reference.as_ref();
        results.generator = Some(load::Generator::measure(&this, run).await?);
        // Each scenario's results are written as soon as it ends, so that one failing later
        // does not lose what the others measured (a smoke run writes nothing).
        let save = |results: &Results| -> anyhow::Result<()> {
            if measuring {
                std::fs::create_dir_all(results_path.parent().expect("bench dir"))?;
                std::fs::write(&results_path, serde_json::to_vec_pretty(results)?)?;
            }
            Ok(())
        };
        if wants("s1") {
            let s1 = rounds::repeat(&this, reference, repeat, |server, _| async move {
                scenarios::s1(&server, run, senders).await
            })
            .await?;
            results.rounds.insert("s1".into(), s1.rounds.clone());
            results.s1 = Some(s1.median());
            save(&results)?;
        }
        if wants("s2") {
            let (rates, typing, pairs, chats): (&[usize], usize, usize, usize) =
                if cli.quick { (&[100], 100, 1, 50) } else { (&[500, 2000], 1000, 3, 1000) };
            let (drop_one, misorder_one) = (cli.drop_one, cli.misorder_one);
            let s2 = rounds::repeat(&this, reference, repeat, |server, round| async move {
                scenarios::s2(&server, round, run, rates, typing, pairs, chats, drop_one, misorder_one).await
            })
            .await?;
            results.rounds.insert("s2".into(), s2.rounds.clone());
            results.s2 = Some(scenarios::S2::combine(s2.this));
            save(&results)?;
        }
        if wants("s3") {
            let quick = cli.quick;
            let s3 = rounds::repeat(&this, reference, repeat, |server, round| async move {
                scenarios::s3_all(&server, round, quick).await
            })
            .await?;
            results.rounds.insert("s3".into(), s3.rounds.clone());
            results.s3 = Some(s3.median());
            save(&results)?;
        } else if wants("s3u") {
            let users = scenarios::s3_users(&this, 0, if cli.quick { 200 } else { 19_000 }).await?;
            results.s3.get_or_insert_with(Default::default).distinct_users = Some(users);
            save(&results)?;
        }
        if wants("s4") || wants("s6") || wants("s7") {
            let (chats, per_chat) = data_set;
            // S7 after S4's reads and S6's audits, on the same data set (its purge blanks a
            // tenth of it); `--only s7` seeds the data set for S7 alone.
            let retention = wants("s7").then(|| scenarios::RetentionPlan {
                percent: 10,
                slices: if cli.quick { 2 } else { 4 },
                runs_without: if cli.quick { 1 } else { 2 },
                rate: if cli.quick { 100 } else { 500 },
                chats: if cli.quick { 50 } else { 1000 },
                run,
                budget: cli.purge_minutes.map(|m| Duration::from_secs_f64(m * 60.0)),
            });
            let reads = wants("s4") || wants("s6");
            let on = scenarios::s4(&this, reference, repeat, chats, per_chat, reads, retention).await?;
            if let Some((s4, s6)) = on.reads {
                results.rounds.insert("s4".into(), s4.rounds.clone());
                results.rounds.insert("s6".into(), s6.rounds.clone());
                (results.s4, results.s6) = (Some(s4.median()), Some(s6.median()));
            }
            if let Some(s7) = on.retention {
                results.rounds.insert("s7".into(), s7.rounds.clone());
                results.s7 = Some(s7.median());
            }
            save(&results)?;
        }
        if wants("s5") {
            let events = if cli.quick { 1_000 } else { 10_000 };
            let s5 =
                rounds::repeat(
                    &this,
                    reference,
                    repeat,
                    |server, _| async move { scenarios::s5(&server, events).await },
                )
                .await?;
            results.rounds.insert("s5".into(), s5.rounds.clone());
            results.s5 = Some(scenarios::S5::combine(s5.this));
            save(&results)?;
        }
        let (search, writes) = (wants("s8") || wants("s8s"), wants("s8") || wants("s8w"));
        if search || writes {
            // A data set of its own (S4's shape, with words), whether or not S4 ran before it.
            let plan = scenarios::SearchPlan {
                chats: data_set.0,
                per_chat: data_set.1,
                repeat,
                searchers: if cli.quick { 20 } else { 200 },
                budget: Duration::from_secs(if cli.quick { 2 } else { 20 }),
                search,
                writes: writes.then(|| (run, senders.to_vec())),
            };
            let measured = scenarios::s8(&this, &plan).await?;
            let s8 = results.s8.get_or_insert_with(Default::default);
            if let Some(search) = measured.search {
                results.rounds.insert("s8".into(), search.rounds.clone());
                s8.search = Some(search.median());
            }
            if let Some((cost, rounds)) = measured.writes {
                results.rounds.insert("s8-writes".into(), rounds);
                s8.writes = Some(cost);
            }
            save(&results)?;
        }
        if wants("s9") {
            let (cost, rounds) = scenarios::s9(&this, repeat, run, senders).await?;
            results.rounds.insert("s9".into(), rounds);
            results.s9 = Some(cost);
            save(&results)?;
        }
        if wants("s12") {
            let (cost, rounds) = scenarios::s12(&this, repeat, run, senders).await?;
            results.rounds.insert("s12".into(), rounds);
            results.s12 = Some(cost);
            save(&results)?;
        }
        if wants("s1-audience") {
            let senders = if cli.quick { 8 } else { 64 };
            let measured = rounds::repeat(&this, reference, repeat, |server, round| async move {
                scenarios::s1_audience(&server, round, run, senders).await
            })
            .await?;
            results.rounds.insert("s1-audience".into(), measured.rounds.clone());
            results.s1_audience = Some(measured.median());
            save(&results)?;
        }
        if wants("s10") {
            let s10 = rounds::repeat(&this, reference, repeat, |server, round| async move {
                scenarios::s10(&server, round, run).await
            })
            .await?;
            results.rounds.insert("s10".into(), s10.rounds.clone());
            results.s10 = Some(s10.median());
            save(&results)?;
        }
        if wants("s11") {
            let (senders, attackers) = (8, 2);
            let s11 = rounds::repeat(&this, reference, repeat, |server, round| async move {
                scenarios::s11(&server, round, run, senders, attackers).await
            })
            .await?;
            results.rounds.insert("s11".into(), s11.rounds.clone());
            results.s11 = Some(s11.median());
            save(&results)?;
        }
        results.machine = Some(report::Machine::describe());
        results.command = Some(std::env::args().collect::<Vec<_>>().join(" "));
        if !measuring {
            println!("{}", serde_json::to_string_pretty(&results)?);
            return Ok(()); // a smoke or profiling run never overwrites the measurements
        }
        save(&results)?;
    }
    report::write(&results, &cli.out)?;
    eprintln!("wrote {} and {}", cli.out.join("benchmarks.md").display(), results_path.display());
    Ok(())
}

/// Up to the hard limit: S3 holds thousands of connections (the replicas inherit it).
fn raise_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// `--pg-setting`: `name=value`, neither empty nor with spaces (they go on `postgres`'s
/// command line).
fn pg_setting(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() && !value.is_empty() && !text.contains(char::is_whitespace) => {
            Ok((name.to_owned(), value.to_owned()))
        }
        _ => Err(format!("expected NAME=VALUE without spaces, e.g. shared_buffers=1GB (got {text:?})")),
    }
}

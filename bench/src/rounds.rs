//! Rounds: every scenario runs `--repeat` times (3 by default), and with `--compare REF` each
//! round runs another revision's build too, the order alternating from round to round so that
//! neither build always gets the fresher machine. Each round records the scenario's key
//! figures and how busy the machine was while it ran; the report shows each figure's median and
//! range per build and, with a reference, the ratio of the medians, so a regression shows as a
//! ratio measured in one run.

use std::future::Future;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::load;
use crate::scenarios::Server;

/// One of a scenario's key figures in one round.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    /// What it is, with its unit ("p99 at 500 msg/s, ms").
    pub name: String,
    pub value: f64,
}

/// What a scenario reports of each round.
pub trait Figures {
    /// The key figures, in the report's order; the first ranks the rounds (the median round by
    /// it is the one the scenario's own section shows, unless the scenario combines them).
    fn figures(&self) -> Vec<Figure>;
}

pub fn figure(name: impl Into<String>, value: f64) -> Figure {
    Figure { name: name.into(), value }
}

/// One round of one build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Round {
    pub revision: String,
    pub figures: Vec<Figure>,
    /// How busy both cores were during the round, every process included.
    pub cpu_busy_percent: Option<f64>,
    /// How long every task on the machine was stalled on I/O during the round.
    pub io_stalled_ms: Option<f64>,
    pub seconds: f64,
}

/// Every round of a scenario in one run of the tool.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rounds {
    /// This tree's build (`Server::revision`).
    pub this: String,
    /// The build `--compare` measured against it, if any.
    pub reference: Option<String>,
    pub rounds: Vec<Round>,
}

impl Rounds {
    /// Each figure's values in `revision`'s rounds, by name, in the first round's order.
    pub fn values(&self, revision: &str) -> Vec<(String, Vec<f64>)> {
        let mine: Vec<&Round> = self.rounds.iter().filter(|r| r.revision == revision).collect();
        let Some(first) = mine.first() else { return vec![] };
        first
            .figures
            .iter()
            .map(|f| {
                let values =
                    mine.iter().filter_map(|r| r.figures.iter().find(|g| g.name == f.name).map(|g| g.value)).collect();
                (f.name.clone(), values)
            })
            .collect()
    }
}

/// What the machine did from [`Usage::start`] until the round is recorded.
pub struct Usage {
    started: Instant,
    cpu: Option<(u64, u64)>,
    io: Option<u64>,
}

impl Usage {
    pub fn start() -> Self {
        Self { started: Instant::now(), cpu: load::cpu_times(), io: load::io_stalled_micros() }
    }

    /// The round of `revision` that measured `figures`, from the start until now.
    pub fn round(self, revision: &str, figures: Vec<Figure>) -> Round {
        Round {
            revision: revision.to_owned(),
            figures,
            cpu_busy_percent: load::cpu_busy_since(self.cpu),
            io_stalled_ms: load::io_stalled_ms_since(self.io),
            seconds: self.started.elapsed().as_secs_f64(),
        }
    }
}

/// This build's results, one per round, and the record of every round of both builds (the
/// reference's results are used only through their figures).
pub struct Repeated<T> {
    pub this: Vec<T>,
    pub rounds: Rounds,
}

impl<T> Repeated<T> {
    pub fn new(this: &Server, reference: Option<&Server>) -> Self {
        Repeated {
            this: vec![],
            rounds: Rounds {
                this: this.revision.clone(),
                reference: reference.map(|r| r.revision.clone()),
                rounds: vec![],
            },
        }
    }
}

impl<T: Figures> Repeated<T> {
    /// This build's median round by its first figure (the scenario's own section shows it).
    pub fn median(mut self) -> T {
        let rank = |t: &T| t.figures().first().map_or(0.0, |f| f.value);
        self.this.sort_by(|a, b| rank(a).total_cmp(&rank(b)));
        let middle = (self.this.len() - 1) / 2;
        self.this.swap_remove(middle)
    }
}

/// Runs `scenario` `repeat` times against `this` and, when given, as often against
/// `reference`, alternating which goes first; `scenario` gets the build and the round's
/// number (from 0).
pub async fn repeat<T, F, Fut>(
    this: &Server,
    reference: Option<&Server>,
    repeat: usize,
    mut scenario: F,
) -> anyhow::Result<Repeated<T>>
where
    T: Figures,
    F: FnMut(Server, usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut result = Repeated::new(this, reference);
    for round in 0..repeat.max(1) {
        let mut order = vec![(this, true)];
        if let Some(reference) = reference {
            order.insert(round % 2, (reference, false));
        }
        for (server, mine) in order {
            let usage = Usage::start();
            let measured = scenario(server.clone(), round).await?;
            result.rounds.rounds.push(usage.round(&server.revision, measured.figures()));
            if mine {
                result.this.push(measured);
            }
        }
    }
    Ok(result)
}

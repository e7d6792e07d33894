//! What a part of the product costs the write path: S1 on the same build twice, with the part
//! and without it (SQL run on each fresh cluster before its load), rounds alternating, as
//! ratios. S8 measures search this way (its column and index dropped), S9 flagging (the
//! school's list of terms filled or empty).

use std::time::Duration;

use super::{Server, WriteCost, WriteFigure};
use crate::rounds::{self, Rounds};

/// S1 on `this` as `with` and as `without` (each: a label and the statements run on its
/// clusters first), `repeat` rounds each, alternating.
pub async fn write_cost(
    this: &Server,
    repeat: usize,
    run: Duration,
    senders: &[usize],
    with: (&str, &[&str]),
    without: (&str, &[&str]),
) -> anyhow::Result<(WriteCost, Rounds)> {
    let variant = |(label, sql): (&str, &[&str])| Server {
        revision: format!("{}, {label}", this.revision),
        setup_sql: sql.iter().map(|s| s.to_string()).collect(),
        ..this.clone()
    };
    let (with, without) = (variant(with), variant(without));
    let repeated =
        rounds::repeat(
            &with,
            Some(&without),
            repeat,
            |server, _| async move { super::s1(&server, run, senders).await },
        )
        .await?;
    let rounds = repeated.rounds;
    let without_values = rounds.values(&without.revision);
    let figures = rounds
        .values(&with.revision)
        .into_iter()
        .filter(|(name, _)| !name.contains("share of"))
        .map(|(name, with)| {
            let without = without_values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
            WriteFigure { name, with, without }
        })
        .collect::<Vec<_>>();
    for f in &figures {
        eprintln!("{}: {}: with ÷ without {:.3}", this.revision, f.name, f.ratio().unwrap_or(f64::NAN));
    }
    let cost = WriteCost {
        with: with.revision.clone(),
        without: without.revision.clone(),
        added: with.setup_sql.clone(),
        dropped: without.setup_sql.clone(),
        rounds: repeat.max(1),
        seconds_per_run: run.as_secs_f64(),
        senders: senders.to_vec(),
        figures,
    };
    Ok((cost, rounds))
}

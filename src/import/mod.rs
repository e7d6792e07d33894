//! `tutorchat import --users people.csv --lessons lessons.csv [--dry-run]`: a school's people
//! and lessons from two CSV files, for a first start or a timetable without an API.
//!
//! Every line is checked first, on its own ([`rows`]) and against the database ([`check`]),
//! and every fault is reported with its line (`people.csv:17: email is not an address`); with
//! any fault nothing is changed. Otherwise the people go through `provisioning::people::upsert`
//! and the lessons through `provisioning::lessons::upsert`, as SCIM and the integration API
//! do, each line in its own transaction (the locks an append takes are held a line at a time,
//! not for the whole file); the log names the import as the acting client (`import`). `--dry-run`
//! reports what would be created, changed or left unchanged, and changes nothing.

mod check;
pub mod rows;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::bail;
use tokio_postgres::{Client, GenericClient};

use crate::auth::Role;
use crate::log::people::{By, PersonChange};
use crate::provisioning::lessons::{self, Outcome};
use crate::provisioning::people::{self, PersonInput};
use rows::Fault;

/// The client the import's events name.
pub const CLIENT: &str = "import";

/// The command line of `tutorchat import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// People: columns external_id, email, name, role (student, teacher or guardian), and
    /// optionally active (true or false) and guardian_of (students' external ids, `;` between).
    #[arg(long, value_name = "people.csv")]
    pub users: Option<PathBuf>,
    /// Lessons: columns external_id, teacher_external_id, student_external_id, subject,
    /// scheduled_at (RFC 3339), status (scheduled, completed or cancelled).
    #[arg(long, value_name = "lessons.csv")]
    pub lessons: Option<PathBuf>,
    /// Report what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Created, changed and unchanged lines of one file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Changed => self.changed += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }

    fn of(outcomes: &[(u64, Outcome)]) -> Self {
        let mut counts = Self::default();
        outcomes.iter().for_each(|(_, o)| counts.add(*o));
        counts
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} created, {} changed, {} unchanged", self.created, self.changed, self.unchanged)
    }
}

/// Runs the import on `db` (the application's role); prints the faults to stderr and the
/// counts to stdout. An error when any line failed (the exit code says so).
pub async fn run(db: &mut Client, args: &ImportArgs) -> anyhow::Result<()> {
    if args.users.is_none() && args.lessons.is_none() {
        bail!("nothing to import: give --users people.csv, --lessons lessons.csv or both");
    }
    let name = |path: &Option<PathBuf>| path.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
    let (people_file, lessons_file) = (name(&args.users), name(&args.lessons));
    let (people, mut faults) = args.users.as_deref().map(rows::people).unwrap_or_default();
    let (lessons, lesson_faults) = args.lessons.as_deref().map(rows::lessons).unwrap_or_default();
    faults.extend(lesson_faults);
    let roles: HashMap<&str, (Role, bool)> =
        people.iter().map(|p| (p.external_id.as_str(), (p.role, p.active))).collect();
    let (people_plan, people_faults) = check::people(&*db, &people_file, &people).await?;
    let ward_faults = check::wards(&*db, &people_file, &people, &roles).await?;
    let (lessons_plan, lessons_faults) = check::lessons(&*db, &lessons_file, &lessons, &roles).await?;
    faults.extend(people_faults.into_iter().chain(ward_faults).chain(lessons_faults));
    if !faults.is_empty() {
        faults.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        for fault in &faults {
            eprintln!("{fault}");
        }
        let lines = faults.iter().map(|f| (&f.file, f.line)).collect::<std::collections::BTreeSet<_>>().len();
        bail!("{lines} line(s) are not valid: nothing was changed");
    }
    let pairs: Vec<(&str, &str)> =
        people.iter().flat_map(|p| p.guardian_of.iter().map(|s| (p.external_id.as_str(), s.as_str()))).collect();
    if args.dry_run {
        report(args, &Counts::of(&people_plan), &Counts::of(&lessons_plan));
        if !pairs.is_empty() {
            let new = missing_links(&*db, &pairs).await?;
            println!("{people_file}: guardian links: would be {new} made, {} kept", pairs.len() as i64 - new);
        }
        println!("dry run: nothing was changed");
        return Ok(());
    }
    let by = By::Client(CLIENT.to_owned());
    let (mut failed, mut people_counts, mut lessons_counts) = (Vec::new(), Counts::default(), Counts::default());
    let progress = Progress::new(people.len() + lessons.len());
    for person in &people {
        let input = PersonInput {
            external_id: person.external_id.clone(),
            email: person.email.clone(),
            name: person.name.clone(),
            role: Some(person.role),
            active: person.active,
        };
        let tx = db.transaction().await?;
        match people::upsert(&tx, &by, &input).await {
            Ok((_, outcome)) => {
                tx.commit().await?;
                people_counts.add(match outcome {
                    people::Outcome::Created => Outcome::Created,
                    people::Outcome::Changed => Outcome::Changed,
                    people::Outcome::Unchanged => Outcome::Unchanged,
                });
            }
            Err(e) => failed.push(Fault { file: people_file.clone(), line: person.line, problem: e.to_string() }),
        }
        progress.inc();
    }
    let mut made = 0;
    for &(guardian, student) in &pairs {
        let tx = db.transaction().await?;
        match link(&tx, &by, guardian, student).await {
            Ok(appended) => {
                tx.commit().await?;
                made += usize::from(appended);
            }
            Err(e) => failed.push(Fault {
                file: people_file.clone(),
                line: line_of(&people, guardian),
                problem: e.to_string(),
            }),
        }
    }
    for line in &lessons {
        let tx = db.transaction().await?;
        match lessons::upsert(&tx, &line.lesson).await {
            Ok((_, outcome)) => {
                tx.commit().await?;
                lessons_counts.add(outcome);
            }
            Err(e) => failed.push(Fault { file: lessons_file.clone(), line: line.line, problem: e.to_string() }),
        }
        progress.inc();
    }
    progress.finish();
    for fault in &failed {
        eprintln!("{fault}");
    }
    report(args, &people_counts, &lessons_counts);
    if !pairs.is_empty() {
        println!("{people_file}: guardian links: {made} made, {} kept", pairs.len() - made);
    }
    if !failed.is_empty() {
        bail!("{} line(s) failed", failed.len());
    }
    Ok(())
}

/// How many of the (guardian, student) pairs, by external id, are not linked yet.
async fn missing_links(db: &impl GenericClient, pairs: &[(&str, &str)]) -> Result<i64, tokio_postgres::Error> {
    let external: Vec<&str> = pairs.iter().flat_map(|&(g, s)| [g, s]).collect();
    let rows = db.query("SELECT external_id, id FROM users WHERE external_id = ANY($1)", &[&external]).await?;
    let ids: HashMap<String, i64> =
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, tokio_postgres::Error>>()?;
    let guardians: Vec<i64> = pairs.iter().filter_map(|(g, _)| ids.get(*g).copied()).collect();
    let linked = crate::access::linked_students(db, &guardians).await?;
    let is_linked = |g: &str, s: &str| match (ids.get(g), ids.get(s)) {
        (Some(g), Some(s)) => linked.get(g).is_some_and(|students| students.contains(s)),
        _ => false,
    };
    Ok(pairs.iter().filter(|(g, s)| !is_linked(g, s)).count() as i64)
}

/// Links a guardian to a student (both by external id, both provisioned by now): a
/// `guardian_linked` of the log, by the import; true when it was not linked before. The import
/// only adds links (one it does not name stays: SCIM or an admin removes it).
async fn link(db: &impl GenericClient, by: &By, guardian: &str, student: &str) -> Result<bool, crate::AppError> {
    let ids = db
        .query_one(
            "SELECT (SELECT id FROM users WHERE external_id = $1), (SELECT id FROM users WHERE external_id = $2)",
            &[&guardian, &student],
        )
        .await?;
    let (Some(guardian_id), Some(student_id)) = (ids.try_get(0)?, ids.try_get(1)?) else {
        return Err(crate::AppError::NotFound(format!("guardian {guardian:?} or student {student:?} names nobody")));
    };
    let change = PersonChange::Guardian { guardian_id, student_id, linked: true };
    Ok(people::append(db, by, change).await?.is_some())
}

/// The line of the person with this external id.
fn line_of(people: &[rows::PersonLine], external_id: &str) -> u64 {
    people.iter().find(|p| p.external_id == external_id).map_or(0, |p| p.line)
}

fn report(args: &ImportArgs, people: &Counts, lessons: &Counts) {
    let verb = if args.dry_run { "would be " } else { "" };
    for (path, counts, what) in [(&args.users, people, "people"), (&args.lessons, lessons, "lessons")] {
        if let Some(path) = path {
            println!("{}: {what}: {verb}{counts}", path.display());
        }
    }
}

/// A progress bar on stderr, only when it is a terminal (and the files are large enough to
/// wait for).
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    const WORTH_SHOWING: usize = 200;

    fn new(total: usize) -> Self {
        let shown = std::io::stderr().is_terminal() && total >= Self::WORTH_SHOWING;
        Self(shown.then(|| indicatif::ProgressBar::new(total as u64)))
    }

    fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

//! What the import's valid lines would do to the database, found by reading it only: a fault
//! for a line the database would refuse (a lesson's person nobody is, a completed lesson sent
//! back to scheduled, another person's email), else whether it creates, changes or leaves
//! alone. The dry run answers this; the real import checks it too before it changes anything.

use std::collections::HashMap;

use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use super::rows::{Fault, LessonLine, PersonLine};
use crate::auth::Role;
use crate::provisioning::lessons::{LessonStatus, Outcome};
use crate::provisioning::people;

/// What the people file would do, line by line (the faults aside).
pub async fn people(
    db: &impl GenericClient,
    file: &str,
    lines: &[PersonLine],
) -> anyhow::Result<(Vec<(u64, Outcome)>, Vec<Fault>)> {
    let (mut outcomes, mut faults) = (Vec::new(), Vec::new());
    for person in lines {
        let fault = |problem: String| Fault { file: file.to_owned(), line: person.line, problem };
        let found = people::find(db, &person.external_id, &person.email).await?;
        let taken = db
            .query_opt(
                "SELECT external_id, role FROM users WHERE lower(email) = lower($1)
                   AND external_id IS DISTINCT FROM $2",
                &[&person.email, &person.external_id],
            )
            .await?;
        if let Some(other) = taken
            && found.as_ref().is_none_or(|f| f.external_id.as_deref() == Some(person.external_id.as_str()))
        {
            let whose: Option<String> = other.try_get("external_id")?;
            let role: Role = other.try_get("role")?;
            faults.push(fault(match whose {
                Some(whose) => format!("email {:?} is the person {whose:?}'s", person.email),
                None => format!("email {:?} is an existing {}'s", person.email, role.as_str()),
            }));
            continue;
        }
        let outcome = match found {
            None => Outcome::Created,
            Some(now) => {
                let same = now.external_id.as_deref() == Some(person.external_id.as_str())
                    && now.name == person.name
                    && now.email == person.email
                    && now.role == person.role
                    && now.active == person.active;
                if same { Outcome::Unchanged } else { Outcome::Changed }
            }
        };
        outcomes.push((person.line, outcome));
    }
    Ok((outcomes, faults))
}

/// Each guardian's wards must be students, in the file or the database.
pub async fn wards(
    db: &impl GenericClient,
    file: &str,
    lines: &[PersonLine],
    roles: &HashMap<&str, (Role, bool)>,
) -> anyhow::Result<Vec<Fault>> {
    let mut faults = Vec::new();
    for person in lines {
        for ward in &person.guardian_of {
            if role_of(db, roles, ward).await?.is_none_or(|(role, _)| role != Role::Student) {
                faults.push(Fault {
                    file: file.to_owned(),
                    line: person.line,
                    problem: format!("guardian_of {ward:?} is no student"),
                });
            }
        }
    }
    Ok(faults)
}

/// Person `external_id`'s role and whether they are active: as the people file says (what
/// the import makes them), else as the database has them.
async fn role_of(
    db: &impl GenericClient,
    roles: &HashMap<&str, (Role, bool)>,
    external_id: &str,
) -> anyhow::Result<Option<(Role, bool)>> {
    if let Some(known) = roles.get(external_id) {
        return Ok(Some(*known));
    }
    let row = db
        .query_opt("SELECT role, deactivated_at IS NULL AS active FROM users WHERE external_id = $1", &[&external_id])
        .await?;
    Ok(match row {
        Some(row) => Some((row.try_get("role")?, row.try_get("active")?)),
        None => None,
    })
}

/// What the lessons file would do, line by line. `roles`: the people file's people, who will
/// exist (active) by the time the lessons are upserted.
pub async fn lessons(
    db: &impl GenericClient,
    file: &str,
    lines: &[LessonLine],
    roles: &HashMap<&str, (Role, bool)>,
) -> anyhow::Result<(Vec<(u64, Outcome)>, Vec<Fault>)> {
    let (mut outcomes, mut faults) = (Vec::new(), Vec::new());
    for LessonLine { line, lesson } in lines {
        let (mut problems, mut left) = (Vec::new(), Vec::new());
        for (column, id, role) in [
            ("teacher_external_id", &lesson.teacher_external_id, Role::Teacher),
            ("student_external_id", &lesson.student_external_id, Role::Student),
        ] {
            match role_of(db, roles, id).await? {
                None => problems.push(format!("{column} {id:?} names nobody")),
                Some((r, _)) if r != role => problems.push(format!("{column} {id:?} is not a {}", role.as_str())),
                Some((_, false)) => left.push(format!("{column} {id:?} is deactivated")),
                Some(_) => {}
            }
        }
        let now = db
            .query_opt(
                "SELECT t.external_id AS teacher, s.external_id AS student, l.subject, l.scheduled_at, l.status,
                        l.completed_at IS NOT NULL AS completed
                 FROM lessons l JOIN users t ON t.id = l.teacher_id JOIN users s ON s.id = l.student_id
                 WHERE l.external_id = $1",
                &[&lesson.external_id],
            )
            .await?;
        let outcome = match now {
            None => Outcome::Created,
            Some(row) => {
                let pair = (row.try_get::<_, Option<String>>("teacher")?, row.try_get::<_, Option<String>>("student")?);
                let same_pair =
                    pair == (Some(lesson.teacher_external_id.clone()), Some(lesson.student_external_id.clone()));
                let completed: bool = row.try_get("completed")?;
                if completed && lesson.status == LessonStatus::Scheduled {
                    problems.push("the lesson was completed: it cannot be scheduled again".to_owned());
                } else if completed && !same_pair {
                    problems.push("the lesson was completed: its teacher and student cannot change".to_owned());
                }
                let same = same_pair
                    && row.try_get::<_, Option<String>>("subject")?.as_deref() == Some(lesson.subject.as_str())
                    && row.try_get::<_, OffsetDateTime>("scheduled_at")? == lesson.scheduled_at
                    && row.try_get::<_, LessonStatus>("status")? == lesson.status;
                if same { Outcome::Unchanged } else { Outcome::Changed }
            }
        };
        // As the upsert has it: someone who left gets no new lessons, theirs may be cancelled.
        if lesson.status != LessonStatus::Cancelled && outcome != Outcome::Unchanged {
            problems.extend(left);
        }
        if problems.is_empty() {
            outcomes.push((*line, outcome));
        } else {
            faults.extend(problems.into_iter().map(|problem| Fault { file: file.to_owned(), line: *line, problem }));
        }
    }
    Ok((outcomes, faults))
}

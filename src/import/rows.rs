//! The import's files, line by line: a CSV with a header row, each line checked on its own
//! (what a line says, not yet what the database has) and every fault kept, with its line.

use std::collections::HashMap;
use std::path::Path;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::Role;
use crate::provisioning::lessons::{LessonInput, LessonStatus, MAX_EXTERNAL_ID, MAX_SUBJECT};

/// A fault of one line: `people.csv:17: email is not an address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub file: String,
    pub line: u64,
    pub problem: String,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.problem)
    }
}

/// A line of the people file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonLine {
    pub line: u64,
    pub external_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Whether they are active (the optional `active` column; true when absent).
    pub active: bool,
    /// The students they are a guardian of, by external id (`guardian_of`, `;`-separated).
    pub guardian_of: Vec<String>,
}

/// A line of the lessons file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonLine {
    pub line: u64,
    pub lesson: LessonInput,
}

pub const PEOPLE_COLUMNS: &[&str] = &["external_id", "email", "name", "role"];
pub const PEOPLE_OPTIONAL: &[&str] = &["guardian_of", "active"];
pub const LESSON_COLUMNS: &[&str] =
    &["external_id", "teacher_external_id", "student_external_id", "subject", "scheduled_at", "status"];

/// A line of a file: its number, and its fields by column.
type Record = (u64, HashMap<String, String>);

/// A file's lines, after its header is checked: every required column present, no column
/// unknown or repeated. A line with more or fewer fields than the header is a fault of its own.
fn records(path: &Path, required: &[&str], optional: &[&str]) -> Result<(Vec<Record>, Vec<Fault>), Fault> {
    let file = path.display().to_string();
    let fault = |line: u64, problem: String| Fault { file: file.clone(), line, problem };
    let text = std::fs::read(path).map_err(|e| fault(0, format!("cannot be read: {e}")))?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_slice());
    let header: Vec<String> =
        reader.headers().map_err(|e| fault(1, format!("no header row: {e}")))?.iter().map(str::to_owned).collect();
    for column in &header {
        if !required.contains(&column.as_str()) && !optional.contains(&column.as_str()) {
            let known = [required, optional].concat().join(", ");
            return Err(fault(1, format!("unknown column {column:?} (the columns: {known})")));
        }
        if header.iter().filter(|c| *c == column).count() > 1 {
            return Err(fault(1, format!("column {column:?} appears twice")));
        }
    }
    if let Some(missing) = required.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(fault(1, format!("no column {missing:?} (required: {})", required.join(", "))));
    }
    let (mut lines, mut faults) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(&text, p.byte()));
                faults.push(fault(line, format!("not CSV: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(&text, p.byte()));
        if record.iter().all(str::is_empty) {
            continue; // a blank line
        }
        if record.len() != header.len() {
            faults.push(fault(line, format!("has {} fields, the header {}", record.len(), header.len())));
            continue;
        }
        lines.push((line, header.iter().cloned().zip(record.iter().map(str::to_owned)).collect()));
    }
    Ok((lines, faults))
}

/// The line (from 1) of the first character at or after byte `at` that does not end a line
/// (the reader's position of a record is where it started reading: before the blank lines
/// above it).
fn line_at(text: &[u8], at: u64) -> u64 {
    let mut at = usize::try_from(at).unwrap_or(text.len()).min(text.len());
    while at < text.len() && matches!(text[at], b'\n' | b'\r') {
        at += 1;
    }
    1 + text[..at].iter().filter(|b| **b == b'\n').count() as u64
}

/// An external id's fault, if any (1-255 characters).
fn external_id_fault(column: &str, value: &str) -> Option<String> {
    (value.is_empty() || value.chars().count() > MAX_EXTERNAL_ID)
        .then(|| format!("{column} must be 1-{MAX_EXTERNAL_ID} characters"))
}

/// Whether `email` is an address as the log's rule has it: one `@`, something either side, no
/// spaces, at most 255 characters.
fn is_address(email: &str) -> bool {
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else { return false };
    !local.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace) && email.chars().count() <= 255
}

/// The people file's lines, and the faults of those that are not valid (each line's every fault).
pub fn people(path: &Path) -> (Vec<PersonLine>, Vec<Fault>) {
    let file = path.display().to_string();
    let (records, mut faults) = match records(path, PEOPLE_COLUMNS, PEOPLE_OPTIONAL) {
        Ok(read) => read,
        Err(fault) => return (Vec::new(), vec![fault]),
    };
    let mut lines = Vec::new();
    let (mut ids, mut emails) = (HashMap::new(), HashMap::new());
    for (line, fields) in records {
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let mut problems = Vec::new();
        let (external_id, email, name) = (field("external_id"), field("email"), field("name"));
        problems.extend(external_id_fault("external_id", &external_id));
        if !is_address(&email) {
            problems.push("email is not an address".to_owned());
        }
        if name.is_empty() || name.chars().count() > 255 {
            problems.push("name must be 1-255 characters".to_owned());
        }
        let role = match field("role").as_str() {
            "student" => Some(Role::Student),
            "teacher" => Some(Role::Teacher),
            "guardian" => Some(Role::Guardian),
            other => {
                problems.push(format!("role must be student, teacher or guardian, not {other:?}"));
                None
            }
        };
        let active = match field("active").to_lowercase().as_str() {
            "" | "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            other => {
                problems.push(format!("active must be true or false, not {other:?}"));
                true
            }
        };
        let guardian_of: Vec<String> =
            field("guardian_of").split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        if !guardian_of.is_empty() && role != Some(Role::Guardian) {
            problems.push("guardian_of is for a guardian only".to_owned());
        }
        if let Some(first) = ids.insert(external_id.clone(), line).filter(|_| !external_id.is_empty()) {
            problems.push(format!("external_id {external_id:?} is on line {first} too"));
        }
        if let Some(first) = emails.insert(email.to_lowercase(), line).filter(|_| !email.is_empty()) {
            problems.push(format!("email {email:?} is on line {first} too"));
        }
        match role {
            Some(role) if problems.is_empty() => {
                lines.push(PersonLine { line, external_id, email, name, role, active, guardian_of })
            }
            _ => faults.extend(problems.into_iter().map(|problem| Fault { file: file.clone(), line, problem })),
        }
    }
    (lines, faults)
}

/// The lessons file's lines, and the faults of those that are not valid.
pub fn lessons(path: &Path) -> (Vec<LessonLine>, Vec<Fault>) {
    let file = path.display().to_string();
    let (records, mut faults) = match records(path, LESSON_COLUMNS, &[]) {
        Ok(read) => read,
        Err(fault) => return (Vec::new(), vec![fault]),
    };
    let mut lines = Vec::new();
    let mut ids = HashMap::new();
    for (line, fields) in records {
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let mut problems = Vec::new();
        for column in ["external_id", "teacher_external_id", "student_external_id"] {
            problems.extend(external_id_fault(column, &field(column)));
        }
        let subject = field("subject");
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
            problems.push(format!("subject must be 1-{MAX_SUBJECT} characters"));
        }
        let scheduled_at = OffsetDateTime::parse(&field("scheduled_at"), &Rfc3339).map_err(|_| {
            problems.push(format!(
                "scheduled_at {:?} is not a time as RFC 3339 writes it (2026-09-01T15:00:00+03:00)",
                field("scheduled_at")
            ))
        });
        let status = field("status").parse::<LessonStatus>().map_err(|_| {
            problems.push(format!("status must be scheduled, completed or cancelled, not {:?}", field("status")))
        });
        let external_id = field("external_id");
        if let Some(first) = ids.insert(external_id.clone(), line).filter(|_| !external_id.is_empty()) {
            problems.push(format!("external_id {external_id:?} is on line {first} too"));
        }
        let lesson = match (scheduled_at, status) {
            (Ok(scheduled_at), Ok(status)) if problems.is_empty() => LessonInput {
                external_id,
                teacher_external_id: field("teacher_external_id"),
                student_external_id: field("student_external_id"),
                subject,
                scheduled_at,
                status,
            }
            .validated()
            .map_err(|e| problems.push(e.to_string()))
            .ok(),
            _ => None,
        };
        match lesson {
            Some(lesson) => lines.push(LessonLine { line, lesson }),
            None => faults.extend(problems.into_iter().map(|problem| Fault { file: file.clone(), line, problem })),
        }
    }
    (lines, faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tutorchat-rows-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    fn problems(faults: &[Fault]) -> Vec<(u64, &str)> {
        faults.iter().map(|f| (f.line, f.problem.as_str())).collect()
    }

    #[test]
    fn every_fault_of_every_line_is_kept_with_its_line() {
        let path = file(
            "people.csv",
            "external_id,email,name,role,guardian_of\n\
             s-1,maria@school.example,Мария,student,\n\
             \n\
             s-2,not-an-address,,student,\n\
             s-1,MARIA@school.example,Маша,headmaster,\n\
             g-1,mama@school.example,Мама,guardian,s-1; s-2\n",
        );
        let (lines, faults) = people(&path);
        assert_eq!(
            lines.iter().map(|l| (l.line, l.external_id.as_str())).collect::<Vec<_>>(),
            [(2, "s-1"), (6, "g-1")]
        );
        assert_eq!(lines[1].guardian_of, ["s-1", "s-2"]);
        assert_eq!(
            problems(&faults),
            [
                (4, "email is not an address"),
                (4, "name must be 1-255 characters"),
                (5, "role must be student, teacher or guardian, not \"headmaster\""),
                (5, "external_id \"s-1\" is on line 2 too"),
                (5, "email \"MARIA@school.example\" is on line 2 too"),
            ]
        );
        assert!(faults[0].to_string().ends_with("people.csv:4: email is not an address"), "{}", faults[0]);
    }

    #[test]
    fn a_header_without_a_column_or_with_an_unknown_one_is_one_fault() {
        let missing = file("missing.csv", "external_id,email,name\ns-1,a@b,A\n");
        assert_eq!(
            problems(&people(&missing).1),
            [(1, "no column \"role\" (required: external_id, email, name, role)")]
        );
        let unknown = file(
            "unknown.csv",
            "external_id,teacher_external_id,student_external_id,subject,scheduled_at,status,room\n",
        );
        let (_, faults) = lessons(&unknown);
        assert!(faults[0].problem.starts_with("unknown column \"room\""), "{faults:?}");
        let short = file("short.csv", "external_id,email,name,role\ns-1,a@b\ns-2,c@d,C,student\n");
        let (lines, faults) = people(&short);
        assert_eq!((lines.len(), problems(&faults)), (1, vec![(2, "has 2 fields, the header 4")]));
    }

    #[test]
    fn a_lesson_line_needs_a_time_a_status_and_a_subject() {
        let path = file(
            "lessons.csv",
            "external_id,teacher_external_id,student_external_id,subject,scheduled_at,status\n\
             L-1,t-1,s-1,Алгебра,2026-09-01T15:00:00.1234567+03:00,completed\n\
             L-2,t-1,s-1,,1 September,done\n",
        );
        let (lines, faults) = lessons(&path);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].lesson.scheduled_at.nanosecond(), 123_456_000, "kept to the microsecond");
        assert_eq!(problems(&faults).iter().map(|(line, _)| *line).collect::<Vec<_>>(), [3, 3, 3]);
    }
}

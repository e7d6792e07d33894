//! A teacher's announcement to all their students (`audience: my_students`): one per teacher,
//! its members every student with a completed lesson with them, now and as lessons complete
//! (`lessons_join_audiences`).

use deadpool_postgres::Transaction;

use crate::Result;
use crate::wire::{Audience, Recipients};

/// The advisory-lock class of one teacher's "all my students" announcement: taken with the
/// teacher's id (folded into 31 bits: two teachers that share a key only wait for each other)
/// for the rest of the transaction that looks for theirs and creates it. The log's own locks
/// are `(1953854575, n)`.
const AUDIENCE_LOCK: i32 = 1_953_854_576;

/// The members of a new group of `teacher` besides those given: for `audience: my_students`,
/// every student of theirs (unless the teacher's announcement of that audience and recipients
/// is open already: its id, and nothing is added); for an announcement to families, the
/// guardians of its students.
pub(super) async fn members(
    tx: &Transaction<'_>,
    teacher: i64,
    audience: Option<Audience>,
    recipients: Option<Recipients>,
    members: &mut Vec<i64>,
) -> Result<Option<i64>> {
    if audience == Some(Audience::MyStudents) {
        if let Some(open) = open_one(tx, teacher, recipients.unwrap_or(Recipients::Students)).await? {
            return Ok(Some(open));
        }
        add_students(tx, teacher, members).await?;
    }
    if let Some(recipients) = recipients.filter(|r| r.guardians()) {
        reach_families(tx, recipients, members).await?;
    }
    Ok(None)
}

/// The teacher's open "all my students" announcement to `recipients`, if they have one (one to
/// the students, one to their guardians, one to both). Serialised per teacher
/// to the end of `tx`, so that two requests at once (a double click, two tabs) make one chat:
/// the second finds the first's. An advisory lock, not a row lock: a row lock would give the
/// transaction an id before its append, and every append then waits for the log to settle.
async fn open_one(tx: &Transaction<'_>, teacher: i64, recipients: Recipients) -> Result<Option<i64>> {
    tx.execute("SELECT pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)", &[&AUDIENCE_LOCK, &teacher]).await?;
    let row = tx
        .query_opt(
            "SELECT id FROM chats WHERE created_by = $1 AND audience = 'my_students' AND closed_at IS NULL
               AND recipients = $2
             ORDER BY id LIMIT 1",
            &[&teacher, &recipients],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// Adds to `members` every student with a completed lesson with `teacher`, each once. Read in
/// the transaction that appends: a lesson completed after it adds its student itself
/// (`lessons_join_audiences`), finding the chat committed. Students who left the school
/// (deactivated) join nothing.
async fn add_students(tx: &Transaction<'_>, teacher: i64, members: &mut Vec<i64>) -> Result<()> {
    let students = tx
        .query(
            "SELECT DISTINCT l.student_id FROM lessons l
             JOIN users s ON s.id = l.student_id AND s.role = 'student' AND s.deactivated_at IS NULL
             WHERE l.teacher_id = $1 AND l.status = 'completed' ORDER BY l.student_id",
            &[&teacher],
        )
        .await?;
    for row in students {
        let id: i64 = row.get(0);
        if id != teacher && !members.contains(&id) {
            members.push(id);
        }
    }
    Ok(())
}

/// An announcement to families: adds to `members` the guardians linked now to its students
/// (each once, however many of their children are among them), and for `guardians` alone
/// takes the students out (its teachers stay). Guardians who left the school join nothing.
async fn reach_families(tx: &Transaction<'_>, recipients: Recipients, members: &mut Vec<i64>) -> Result<()> {
    let guardians = crate::access::families_of(&**tx, members).await?;
    if !recipients.students() {
        let students: Vec<i64> = tx
            .query("SELECT id FROM users WHERE id = ANY ($1) AND role = 'student'", &[&*members])
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        members.retain(|id| !students.contains(id));
    }
    members.extend(guardians);
    Ok(())
}

//! S4's data set, seeded through the log's own triggers (S7 and S8 seed theirs with it too).

use std::time::Instant;

use tokio_postgres::Client;

/// S4's messages: the same sentence in each, but for its number (`g`, from 1 in each chat).
pub(super) const SENTENCE: &str = "'Message ' || g || ' of a long conversation about homework'";

/// Seeds `chats` more chats (students `offset + 1 ..= offset + chats`, their own teachers) with
/// `per_chat` messages each, through the log's own triggers: every teacher has `chats /
/// teachers` chats of mixed kinds, four in five direct, one in five a group of the teacher and
/// five of these students (each with a lesson scheduled with that teacher, as a teacher adds
/// only their own students), about one of twenty courses. Each message's text is `content`, an
/// SQL expression over the chat `c` and the message's number in it `g` (S4's [`SENTENCE`];
/// S8's words); `scenario` names the progress lines.
pub async fn seed(
    sql: &Client,
    offset: i64,
    chats: i64,
    per_chat: i64,
    content: &str,
    scenario: &str,
) -> anyhow::Result<()> {
    let teachers = (chats / 500).max(1);
    let t0: i64 = sql.query_one("SELECT count(*) FROM users WHERE role = 'teacher'", &[]).await?.get(0);
    let low: i64 = sql.query_one("SELECT coalesce(max(id), 0) + 1 FROM chats", &[]).await?.get(0);
    let seeding = Instant::now();
    sql.batch_execute(&format!(
        "INSERT INTO users (email, name, role) SELECT 'bench-teacher-' || g, 'Teacher ' || g, 'teacher' FROM generate_series({t0} + 1, {t0} + {teachers}) g;
         INSERT INTO users (email, name, role) SELECT 'bench-student-' || g, 'Student ' || g, 'student' FROM generate_series({offset} + 1, {offset} + {chats}) g;"
    ))
    .await?;
    // Student `offset + g` learns with teacher `t0 + g mod teachers + 1`, except every fifth
    // student of each teacher.
    sql.batch_execute(&format!(
        "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT t.id, s.id, now(), 'completed' FROM generate_series(1, {chats}) g
         JOIN users s ON s.email = 'bench-student-' || ({offset} + g)
         JOIN users t ON t.email = 'bench-teacher-' || ({t0} + g % {teachers} + 1)
         WHERE (g / {teachers}) % 5 <> 0;
         INSERT INTO events (chat_id, actor_id, type, payload)
         SELECT nextval('chats_id_seq'), t.id, 'chat_created',
                jsonb_build_object('kind', 'group', 'title', 'Group ' || ({offset} / 5 + g),
                                   'context', jsonb_build_object('type', 'course', 'id', g % 20, 'title', 'Course ' || g % 20))
         FROM generate_series(1, {chats} / 5) g
         JOIN users t ON t.email = 'bench-teacher-' || ({t0} + g % {teachers} + 1)
         ORDER BY g;
         -- A scheduled lesson of each group's teacher with each of its students (as the data
         -- set always had). A teacher adds to a group only students they completed a lesson
         -- with, so the school's admin adds them (completing these lessons would open a direct
         -- chat per pair and change the data set); the teacher adds themself.
         INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT DISTINCT c.created_by, s.id, now() + interval '1 day', 'scheduled' FROM chats c
         CROSS JOIN generate_series(1, 5) k
         JOIN users s ON s.email = 'bench-student-' || ({offset} + (c.id * 5 + k) % {chats} + 1)
         WHERE c.kind = 'group' AND c.id >= {low};
         INSERT INTO users (email, name, role) VALUES ('bench-admin', 'Admin', 'admin') ON CONFLICT (school_id, email) DO NOTHING;
         INSERT INTO events (chat_id, actor_id, type, payload)
         SELECT c.id, CASE WHEN m.k = 0 THEN c.created_by ELSE (SELECT id FROM users WHERE email = 'bench-admin') END,
                'participant_added', jsonb_build_object('user_id', m.user_id)
         FROM chats c
         CROSS JOIN LATERAL (
             SELECT c.created_by AS user_id, 0 AS k
             UNION ALL
             SELECT s.id, k FROM generate_series(1, 5) k
             JOIN users s ON s.email = 'bench-student-' || ({offset} + (c.id * 5 + k) % {chats} + 1)
         ) m
         WHERE c.kind = 'group' AND c.id >= {low}
         ORDER BY c.id, m.k;"
    ))
    .await?;
    let per_teacher: i64 = sql
        .query_one(
            "SELECT count(*) FROM chat_participants p JOIN users u ON u.id = p.user_id WHERE u.email = $1",
            &[&format!("bench-teacher-{}", t0 + 1)],
        )
        .await?
        .get(0);
    anyhow::ensure!(
        per_teacher == chats / teachers,
        "bench-teacher-{} has {per_teacher} chats, not {}",
        t0 + 1,
        chats / teachers
    );
    let kinds: i64 = sql.query_one("SELECT count(DISTINCT kind) FROM chats WHERE id >= $1", &[&low]).await?.get(0);
    anyhow::ensure!(kinds == 2, "the data set should mix direct chats and groups");
    let high: i64 = sql.query_one("SELECT max(id) FROM chats", &[]).await?.get(0);
    let step = (100_000 / per_chat).max(1);
    let mut from = low;
    while from <= high {
        // Through the log's own triggers, as the application would: positions, ids, projections.
        sql.execute(
            &format!(
                "INSERT INTO events (chat_id, actor_id, type, payload)
                 SELECT c.id, CASE WHEN c.kind = 'group' THEN c.created_by
                                   WHEN g % 2 = 0 THEN c.student_id ELSE c.teacher_id END, 'message_created',
                        jsonb_build_object('content', {content})
                 FROM chats c CROSS JOIN generate_series(1, $3::bigint) g
                 WHERE c.id BETWEEN $1 AND $2 ORDER BY c.id, g"
            ),
            &[&from, &(from + step - 1), &per_chat],
        )
        .await?;
        from += step;
        if (from - low) % (step * 20) == 0 {
            eprintln!(
                "{scenario} seeding: {} of {} chats, {:.0} s",
                from - low,
                chats,
                seeding.elapsed().as_secs_f64()
            );
        }
    }
    sql.batch_execute("VACUUM ANALYZE").await?;
    Ok(())
}

//! S1 by audience: what one message costs the write path as its audience grows. S1's closed
//! loop (group commit, two replicas) in one cluster, against sets of chats in turn: the lesson
//! pairs' direct chats (2 members), announcements of 2 and of 2,000 members (a teacher posts,
//! students read), announcements to 2,000 students and their guardians (each student's
//! guardian linked, who joins by the log's own `announcement_families_join`), and ordinary
//! groups of 257 and of 500 members (a class, a year group). No chat keeps a row per member
//! and message: unread counts are derived when read (`chat_unread`). The targets: a message to
//! 2,000 members, and one to 2,000 students and their families, each within 2× of one to 2
//! (its throughput at least half); one to a group of 257 at least 0.8× one to a direct chat.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::{Cluster, Server};
use crate::load::{self, Pair, Throughput};
use crate::rounds::{Figure, Figures, figure};

/// The announcements' sizes measured, members counted with their owner.
pub const SIZES: [i64; 2] = [2, 2_000];

/// The ordinary groups' sizes measured (a teacher and their students, all of whom may write;
/// the teacher posts): a class of 256, and a year group of 499.
pub const GROUPS: [i64; 2] = [257, 500];

/// The members of an announcement to families: its owner, 1,999 students and a guardian each.
pub const FAMILIES: i64 = 2 * SIZES[1] - 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S1Audience {
    pub seconds_per_run: f64,
    pub senders: usize,
    /// Chats of each audience the senders post to (each sender to one).
    pub chats: usize,
    /// One per audience, in [`Audience::label`] order: direct, then each of [`SIZES`].
    pub audiences: Vec<AudienceRun>,
    /// What the counts cost to read after the runs: `GET /api/unread-count` for a student of
    /// the direct chats (counters kept) and for one of the 2,000-member announcements (derived
    /// from the read marker: the longer the unread run, the more index entries counted).
    #[serde(default)]
    pub reads: Vec<UnreadRead>,
    #[serde(default)]
    pub revision: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnreadRead {
    pub label: String,
    /// The student's unread messages over all their chats when measured.
    pub unread: i64,
    pub latency: load::Percentiles,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AudienceRun {
    pub label: String,
    pub members: i64,
    pub throughput: Throughput,
}

impl S1Audience {
    fn per_second(&self, members: i64, announcement: bool) -> Option<f64> {
        self.audiences
            .iter()
            .find(|a| a.members == members && a.label.starts_with("announcement") == announcement)
            .map(|a| a.throughput.per_second)
    }

    /// Throughput at 2,000 members ÷ at 2 (announcements): the target is ≥ 0.5.
    pub fn ratio(&self) -> Option<f64> {
        Some(self.per_second(SIZES[1], true)? / self.per_second(SIZES[0], true)?.max(1e-9))
    }

    /// Throughput to 2,000 students and their guardians ÷ to 2 members: the target is ≥ 0.5.
    pub fn families_ratio(&self) -> Option<f64> {
        Some(self.per_second(FAMILIES, true)? / self.per_second(SIZES[0], true)?.max(1e-9))
    }

    /// Throughput to an ordinary group of 257 ÷ to a direct chat: the target is ≥ 0.8.
    pub fn group_ratio(&self) -> Option<f64> {
        Some(self.per_second(GROUPS[0], false)? / self.per_second(2, false)?.max(1e-9))
    }
}

impl Figures for S1Audience {
    /// The ratio first (it ranks the rounds), then each audience's throughput and latency.
    fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![figure("2,000 ÷ 2 members, throughput ratio", self.ratio().unwrap_or(0.0))];
        if let Some(ratio) = self.families_ratio() {
            figures.push(figure("families ÷ 2 members, throughput ratio", ratio));
        }
        if let Some(ratio) = self.group_ratio() {
            figures.push(figure("group of 257 ÷ direct chat, throughput ratio", ratio));
        }
        for a in &self.audiences {
            figures.push(figure(format!("{}, msg/s", a.label), a.throughput.per_second));
            figures.push(figure(format!("{}, p50 ms", a.label), a.throughput.latency.p50_ms));
            figures.push(figure(format!("{}, p99 ms", a.label), a.throughput.latency.p99_ms));
        }
        figures
    }
}

/// `chats` announcements (or, not `announcement`, ordinary groups) of `members` (their owner
/// included): a teacher each, the students shared between them, added by an admin in one
/// statement per chat. The senders post as the
/// owners only (a pair whose both tokens are the teacher's). To `families`, each student also
/// has a guardian, linked by an admin, whom the admin adds too (the students have no lessons
/// with the owner here, so their links make nobody join: `announcement_families_join`), so
/// `members` counts the students with their owner.
async fn seed_announcements(
    sql: &Client,
    tag: &str,
    chats: i64,
    members: i64,
    announcement: bool,
    families: bool,
) -> anyhow::Result<Vec<Pair>> {
    sql.execute(
        "INSERT INTO users (email, name, role)
         SELECT 'bench-' || $1 || '-' || r || '-' || g || '@bench', initcap(r) || ' ' || g, r
         FROM unnest(ARRAY['teacher', 'student']) r
         CROSS JOIN LATERAL generate_series(1, CASE r WHEN 'teacher' THEN $2::bigint ELSE $3::bigint - 1 END) g",
        &[&tag, &chats, &members],
    )
    .await?;
    let admin: i64 = sql
        .query_one("INSERT INTO users (email, name, role) VALUES ('bench-' || $1 || '-admin@bench', 'Admin', 'admin') RETURNING id", &[&tag])
        .await?
        .get(0);
    let teachers = sql
        .query("SELECT id FROM users WHERE email LIKE 'bench-' || $1 || '-teacher-%@bench' ORDER BY id", &[&tag])
        .await?;
    let mut pairs = Vec::with_capacity(teachers.len());
    for row in teachers {
        let teacher: i64 = row.get(0);
        let chat: i64 = sql
            .query_one(
                "INSERT INTO events (chat_id, actor_id, type, payload)
                 VALUES (nextval('chats_id_seq'), $1, 'chat_created',
                         jsonb_build_object('kind', 'group', 'title', 'Announcements', 'announcement', $3::boolean)
                         || CASE WHEN $2 THEN jsonb_build_object('recipients', 'both') ELSE '{}' END)
                 RETURNING chat_id",
                &[&teacher, &families, &announcement],
            )
            .await?
            .get(0);
        sql.execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             VALUES ($1, $2, 'participant_added', jsonb_build_object('user_id', $2::bigint))",
            &[&chat, &teacher],
        )
        .await?;
        sql.execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             SELECT $1, $2, 'participant_added', jsonb_build_object('user_id', u.id)
             FROM users u WHERE u.email LIKE 'bench-' || $3 || '-student-%@bench' ORDER BY u.id",
            &[&chat, &admin, &tag],
        )
        .await?;
        let token = load::token(teacher);
        pairs.push(Pair { chat, teacher: token.clone(), student: token });
    }
    if families {
        sql.execute(
            "INSERT INTO users (email, name, role)
             SELECT replace(u.email, '-student-', '-guardian-'), 'Guardian of ' || u.name, 'guardian'
             FROM users u WHERE u.email LIKE 'bench-' || $1 || '-student-%@bench' ORDER BY u.id",
            &[&tag],
        )
        .await?;
        sql.execute(
            "INSERT INTO events (actor_id, type, payload)
             SELECT $2, 'guardian_linked', jsonb_build_object('guardian_id', g.id, 'student_id', s.id)
             FROM users s JOIN users g ON g.email = replace(s.email, '-student-', '-guardian-')
             WHERE s.email LIKE 'bench-' || $1 || '-student-%@bench' ORDER BY s.id",
            &[&tag, &admin],
        )
        .await?;
        for pair in &pairs {
            sql.execute(
                "INSERT INTO events (chat_id, actor_id, type, payload)
                 SELECT $1, $2, 'participant_added', jsonb_build_object('user_id', u.id)
                 FROM users u WHERE u.email LIKE 'bench-' || $3 || '-guardian-%@bench' ORDER BY u.id",
                &[&pair.chat, &admin, &tag],
            )
            .await?;
        }
    }
    Ok(pairs)
}

/// One round: the cluster, its three sets of chats, then S1's closed loop on each in turn (the
/// order rotating from round to round, so no audience always gets the fresher machine).
pub async fn s1_audience(server: &Server, round: usize, run: Duration, senders: usize) -> anyhow::Result<S1Audience> {
    let chats = 16usize;
    let cluster = Cluster::start_on(server, 2, &[("APPEND_MODE", "batched")]).await?;
    let mut sets = vec![("direct chat, 2 members".to_owned(), 2, load::seed_pairs(&cluster.sql, chats as i64).await?)];
    for members in SIZES {
        let pairs =
            seed_announcements(&cluster.sql, &format!("a{members}"), chats as i64, members, true, false).await?;
        sets.push((format!("announcement, {members} members"), members, pairs));
    }
    for members in GROUPS {
        let pairs =
            seed_announcements(&cluster.sql, &format!("g{members}"), chats as i64, members, false, false).await?;
        sets.push((format!("group, {members} members"), members, pairs));
    }
    let pairs = seed_announcements(&cluster.sql, "families", chats as i64, SIZES[1], true, true).await?;
    let joined: i64 = cluster
        .sql
        .query_one("SELECT count(*) FROM chat_participants WHERE chat_id = $1", &[&pairs[0].chat])
        .await?
        .get(0);
    anyhow::ensure!(joined == FAMILIES, "an announcement to families has {joined} members, not {FAMILIES}");
    sets.push(("announcement to families, 2,000 students + guardians".to_owned(), FAMILIES, pairs));
    cluster.sql.execute("ANALYZE", &[]).await?;
    let mut measured: Vec<Option<AudienceRun>> = vec![None; sets.len()];
    for k in 0..sets.len() {
        let i = (k + round) % sets.len();
        let (label, members, pairs) = &sets[i];
        let t = load::closed_loop(&cluster.urls, pairs, senders, run).await;
        eprintln!(
            "S1 by audience {} {label:28}: {:8.0} msg/s  p50 {:.2} ms  p99 {:.2} ms  errors {}",
            server.revision, t.per_second, t.latency.p50_ms, t.latency.p99_ms, t.errors
        );
        measured[i] = Some(AudienceRun { label: label.clone(), members: *members, throughput: t });
    }
    let mut reads = Vec::new();
    for (label, email) in [
        ("a student of the direct chats", "bench-student-1@bench"),
        ("a student of the 2,000-member announcements", "bench-a2000-student-1@bench"),
        ("a student of the 257-member groups", "bench-g257-student-1@bench"),
    ] {
        let id: i64 = cluster.sql.query_one("SELECT id FROM users WHERE email = $1", &[&email]).await?.get(0);
        let token = load::token(id);
        let url = format!("{}/api/unread-count", cluster.urls[0]);
        let body: serde_json::Value = load::client().get(&url).bearer_auth(&token).send().await?.json().await?;
        let unread = body["unread_count"].as_i64().unwrap_or(-1);
        let (_, latency, _) =
            load::timed_gets(&cluster.urls[0], vec![("/api/unread-count".to_owned(), token)], 1, 50).await;
        eprintln!(
            "S1 by audience: GET /api/unread-count, {label} ({unread} unread): p50 {:.2} ms  p99 {:.2} ms",
            latency.p50_ms, latency.p99_ms
        );
        reads.push(UnreadRead { label: label.to_owned(), unread, latency });
    }
    cluster.stop().await;
    let result = S1Audience {
        seconds_per_run: run.as_secs_f64(),
        senders,
        chats,
        audiences: measured.into_iter().flatten().collect(),
        reads,
        revision: server.revision.clone(),
    };
    eprintln!(
        "S1 by audience: 2,000 ÷ 2 members {:.3}, families ÷ 2 members {:.3}, group of 257 ÷ direct {:.3}",
        result.ratio().unwrap_or(f64::NAN),
        result.families_ratio().unwrap_or(f64::NAN),
        result.group_ratio().unwrap_or(f64::NAN)
    );
    Ok(result)
}

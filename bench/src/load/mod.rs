//! Load generation: seeding, closed- and open-loop posting, SSE and socket readers, percentiles.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use tokio_postgres::Client;

mod machine;
mod pgbench;
mod requests;
mod sockets;
mod streams;

pub use machine::{
    cpu_busy_since, cpu_times, io_stalled_micros, io_stalled_ms_since, metric, metric_in, pss_bytes, unix_nanos,
};
pub use pgbench::{Table, pgbench, plain_table, reads as pgbench_reads};
pub use requests::{Generator, Phase, Throughput, closed_loop, generator_ceiling, timed_gets};
pub use sockets::{SocketKind, read_socket};
pub use streams::{HeldStreams, read_stream, stream_client};

pub const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";

#[derive(Debug, Clone)]
pub struct Pair {
    pub chat: i64,
    pub teacher: String,
    pub student: String,
}

pub fn token(user: i64) -> String {
    let claims = json!({ "sub": user.to_string(), "exp": jsonwebtoken::get_current_timestamp() + 86_400 });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign a benchmark token")
}

/// `n` teacher–student pairs with a completed lesson each, so `n` chats (theirs, even on a
/// database with other chats: S7 seeds them on S4's data set).
pub async fn seed_pairs(sql: &Client, n: i64) -> anyhow::Result<Vec<Pair>> {
    sql.execute(
        "INSERT INTO users (email, name, role)
         SELECT 'bench-' || r || '-' || g || '@bench', initcap(r) || ' ' || g, r
         FROM generate_series(1, $1::bigint) g, unnest(ARRAY['teacher', 'student']) r",
        &[&n],
    )
    .await?;
    sql.execute(
        "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT t.id, s.id, now(), 'completed' FROM generate_series(1, $1::bigint) g
         JOIN users t ON t.email = 'bench-teacher-' || g || '@bench'
         JOIN users s ON s.email = 'bench-student-' || g || '@bench'
         ORDER BY g",
        &[&n],
    )
    .await?;
    let rows = sql
        .query(
            "SELECT c.id, c.teacher_id, c.student_id FROM chats c JOIN users t ON t.id = c.teacher_id
             WHERE t.email LIKE 'bench-teacher-%@bench' ORDER BY c.id LIMIT $1",
            &[&n],
        )
        .await?;
    Ok(rows.iter().map(|r| Pair { chat: r.get(0), teacher: token(r.get(1)), student: token(r.get(2)) }).collect())
}

/// An admin (who receives every chat's events), and a token for it.
pub async fn seed_admin(sql: &Client, email: &str) -> anyhow::Result<String> {
    let id: i64 = sql
        .query_one("INSERT INTO users (email, name, role) VALUES ($1, 'Admin', 'admin') RETURNING id", &[&email])
        .await?
        .get(0);
    Ok(token(id))
}

#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, Default)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    if samples.is_empty() {
        return Percentiles::default();
    }
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1e3;
    Percentiles { p50_ms: at(0.50), p99_ms: at(0.99), max_ms: at(1.0) }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

pub type Shared<T> = Arc<std::sync::Mutex<T>>;

//! The test harness, by concern: the database (`db`), the application and its REST calls
//! (`app`), a real OpenID Provider (`oidc`), event streams (`streams`), the webhook receiver (`webhooks`) and the Web Push service (`push`), a WebSocket client (`ws`), and free ports (`free_port`). Tests import what
//! they use from here (`use crate::helpers::{TestApp, …}`); tests/faults shares this module.

mod app;
mod db;
mod oidc;
mod push;
mod smtp;
mod streams;
mod webhooks;
mod ws;

pub use app::*;
pub use db::*;
pub use oidc::*;
pub use push::*;
pub use smtp::*;
pub use streams::*;
pub use webhooks::*;
pub use ws::*;

/// How long a test waits for what must happen (an event on a stream, the listener catching up,
/// a real client's report: its socket opened or refused, a frame it must receive). The suites
/// run side by side on two cores, and each client is a process of its own started cold: under
/// that load (load averages above 20 in CI) a wait of 10 s has run out. A bound on a wait, never
/// a measure of speed: what must not happen is tested otherwise.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Every file under `dir` (none if it does not exist).
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

/// A free port on the loopback interface, for a server whose address must be known before it
/// starts (a replica the OpenID Provider sends browsers back to, moto's S3 server): the
/// topology's, below the kernel's ephemeral range, never the same twice in this process (a port
/// from `bind(:0)`, let go, was taken by another socket before a replica bound it).
pub fn free_port() -> u16 {
    tutorchat_dev::free_port().expect("a free port").port()
}

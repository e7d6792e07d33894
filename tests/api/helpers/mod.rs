//! The test harness, by concern: the database (`db`), the application and its REST calls
//! (`app`), a real OpenID Provider (`oidc`), event streams (`streams`), the webhook receiver (`webhooks`) and the Web Push service (`push`), and free ports (`free_port`). Tests import what
//! they use from here (`use crate::helpers::{TestApp, …}`); tests/faults shares this module.

mod app;
mod db;
mod oidc;
mod push;
mod streams;
mod webhooks;

pub use app::*;
pub use db::*;
pub use oidc::*;
pub use push::*;
pub use streams::*;
pub use webhooks::*;

/// Every file under `dir` (none if it does not exist).
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

/// A free port on the loopback interface, for a server whose address must be known before it
/// starts (a replica the OpenID Provider sends browsers back to, moto's S3 server). Between
/// this check and the server's bind the port is nobody's, so it is taken below the kernel's
/// ephemeral range (32768–60999 on Linux): a port of that range, asked for with `:0` and let
/// go, is soon another socket's (the run's own connections take them by the thousand), and CI
/// saw a replica find its port taken. Ports come from a counter starting at a place of this
/// process's, so two tests never pick the same one.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(u32::MAX, std::process::id() % SPAN, Ordering::Relaxed, Ordering::Relaxed);
    for _ in 0..SPAN {
        let port = (LOW + NEXT.fetch_add(1, Ordering::Relaxed) % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {LOW}..{}", LOW + SPAN)
}

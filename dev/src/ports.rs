//! Ports for the topology's processes, and the plainest health probe of one.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// An address on 127.0.0.1 whose port was free a moment ago, for a process to listen on later
/// (and again after a restart). Taken below the kernel's ephemeral range
/// (`net.ipv4.ip_local_port_range`), which outgoing connections draw their ports from: a port
/// the kernel hands out for `bind(:0)` can be taken by any client's connection before the replica
/// binds it (a fault test saw "Address already in use" that way). Never the same port twice in
/// one process, so topologies started side by side (tests) do not collide.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (low, high) = (ephemeral.saturating_sub(12_000).max(1024), ephemeral);
    let span = u32::from(high - low).max(1);
    // Where to start looking: differs between processes and calls, without a random source.
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
        ^ std::process::id().wrapping_mul(2_654_435_761);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for k in 0..span {
        let port = low + ((seed.wrapping_add(k)) % span) as u16;
        if !given.contains(&port)
            && let Ok(listener) = TcpListener::bind(("127.0.0.1", port))
        {
            given.push(port);
            return Ok(listener.local_addr()?);
        }
    }
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// The status code of a plain GET, or `None` if nothing answers.
pub fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

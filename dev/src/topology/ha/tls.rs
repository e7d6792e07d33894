//! What the HA topology's parts prove to each other, made fresh for every topology: a small
//! certificate authority and one certificate (for 127.0.0.1) signed by it, and a random
//! password for each database role and for Patroni's REST API. etcd takes only clients that
//! present a certificate of this CA, PostgreSQL takes TCP only with TLS and a password, the
//! standby checks that the primary's certificate is this CA's (`verify-full`), and Patroni's
//! REST API answers its changing endpoints only with the password. docs/high-availability.md.
//!
//! The certificates come from deploy/patroni/make-certs.sh, the script compose.ha.yaml runs:
//! one recipe (the `openssl` CLI, which the Patroni image and every Debian machine have) for
//! both, so the native topology tries exactly what an operator deploys, and no certificate
//! code of our own or another crate in the server for what only set-up needs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use rand::Rng;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

const MAKE_CERTS: &str = include_str!("../../../../deploy/patroni/make-certs.sh");

/// Patroni's passwords (its roles' and its REST API's), random for each topology; the
/// application's role gets its own ([`HaCluster::add_login`](super::HaCluster::add_login)).
pub(super) struct Passwords {
    pub(super) superuser: String,
    pub(super) replication: String,
    pub(super) rest: String,
}

impl Passwords {
    pub(super) fn generate() -> Self {
        Self { superuser: random_password(), replication: random_password(), rest: random_password() }
    }
}

/// 32 letters and digits (about 190 bits): nothing to quote in a connection string or YAML.
pub(super) fn random_password() -> String {
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(32).map(char::from).collect()
}

/// The certificates (in `dir`: ca.crt, server.crt, server.key) and the TLS clients that use
/// them: with the certificate (what Patroni is to etcd), and without (a stranger).
pub(super) struct Tls {
    pub(super) dir: PathBuf,
    pub(super) member: Arc<ClientConfig>,
    pub(super) stranger: Arc<ClientConfig>,
}

impl Tls {
    /// Makes the CA (in `base/ca`, never read by a server) and the servers' certificate (in
    /// `base/tls`, readable by the server's user only).
    pub(super) fn make(base: &Path) -> anyhow::Result<Self> {
        let dir = base.join("tls");
        let mut sh = Command::new("/bin/sh");
        sh.arg("-c").arg(MAKE_CERTS).arg("make-certs.sh").arg(base.join("ca")).arg(&dir);
        sh.args(["postgres:postgres", "IP:127.0.0.1", "DNS:localhost"]);
        tutorchat::backup::run(&mut sh, "make-certs.sh (openssl)")?;
        let (member, stranger) = (client_config(&dir, true)?, client_config(&dir, false)?);
        Ok(Self { dir, member, stranger })
    }

    pub(super) fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn client_config(dir: &Path, with_certificate: bool) -> anyhow::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(dir.join("ca.crt")).context("ca.crt")? {
        roots.add(cert.context("ca.crt")?)?;
    }
    let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = if with_certificate {
        let certs = CertificateDer::pem_file_iter(dir.join("server.crt"))
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .context("server.crt")?;
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).context("server.key")?;
        builder.with_client_auth_cert(certs, key)?
    } else {
        builder.with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// One request to etcd's or Patroni's HTTP API.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a str,
    /// `user:password` for HTTP basic authentication.
    pub basic: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str) -> Self {
        Self { method: "GET", path, body: "", basic: None }
    }
}

/// The status of `call` (over TLS with `tls`, else plain HTTP), read to the end (Patroni logs a
/// traceback for every request whose answer is cut short), or `None` if nothing answers: no
/// server, or a TLS handshake either side refused.
pub(super) fn status(addr: SocketAddr, tls: Option<&Arc<ClientConfig>>, call: &Call) -> Option<u16> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    let auth = call
        .basic
        .map(|b| format!("Authorization: Basic {}\r\n", base64::engine::general_purpose::STANDARD.encode(b)))
        .unwrap_or_default();
    let head = format!(
        "{} {} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        call.method,
        call.path,
        call.body.len(),
        call.body
    );
    let answer = match tls {
        Some(config) => {
            let name = ServerName::IpAddress(addr.ip().into());
            let mut stream = StreamOwned::new(ClientConnection::new(config.clone(), name).ok()?, stream);
            stream.write_all(head.as_bytes()).ok()?;
            read_answer(&mut stream)
        }
        None => {
            let mut stream = stream;
            stream.write_all(head.as_bytes()).ok()?;
            read_answer(&mut stream)
        }
    };
    std::str::from_utf8(answer.get(9..12)?).ok()?.parse().ok()
}

/// Everything the server sent; a server that closes without TLS's close_notify (Python's
/// http.server does) has still answered.
fn read_answer(stream: &mut impl Read) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stream.read(&mut chunk) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    if answer.starts_with(b"HTTP/") { answer } else { Vec::new() }
}

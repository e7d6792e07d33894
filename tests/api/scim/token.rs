//! A provisioning client's token never reaches PostgreSQL: the replica hashes it and sends
//! the digest, so neither the database connection nor the server's statement log (`DETAIL:
//! parameters: …`) ever carries it. Observed on the wire: a tap between the replica and
//! PostgreSQL keeps every byte the replica sends.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio_postgres::config::Host;

use crate::helpers::TestApp;

/// A relay on a Unix socket of its own to the test database's server, recording what its
/// clients send.
struct Tap {
    dir: PathBuf,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One direction of a relayed connection; what passes is appended to `record`, if any.
async fn relay(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, record: Option<Arc<Mutex<Vec<u8>>>>) {
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        if let Some(record) = &record {
            record.lock().expect("record").extend_from_slice(&buffer[..n]);
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Tap {
    /// Starts a tap in front of `server`; the returned config connects through it.
    fn start(server: &tokio_postgres::Config) -> (Self, tokio_postgres::Config) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tutorchat-tap-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("the tap's directory");
        let port = server.get_ports().first().copied().unwrap_or(5432);
        let listener = UnixListener::bind(dir.join(format!(".s.PGSQL.{port}"))).expect("the tap's socket");
        let target = server.get_hosts().first().cloned().expect("the server's host");
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = sent.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (client_read, client_write) = client.into_split();
                let record = record.clone();
                match &target {
                    Host::Unix(path) => {
                        let Ok(upstream) = UnixStream::connect(path.join(format!(".s.PGSQL.{port}"))).await else {
                            continue;
                        };
                        let (read, write) = upstream.into_split();
                        tokio::spawn(relay(client_read, write, Some(record)));
                        tokio::spawn(relay(read, client_write, None));
                    }
                    Host::Tcp(host) => {
                        let Ok(upstream) = TcpStream::connect((host.as_str(), port)).await else { continue };
                        let (read, write) = upstream.into_split();
                        tokio::spawn(relay(client_read, write, Some(record)));
                        tokio::spawn(relay(read, client_write, None));
                    }
                }
            }
        });
        let mut through = tokio_postgres::Config::new();
        through.host_path(&dir).port(port);
        if let Some(user) = server.get_user() {
            through.user(user);
        }
        if let Some(password) = server.get_password() {
            through.password(password);
        }
        if let Some(dbname) = server.get_dbname() {
            through.dbname(dbname);
        }
        (Self { dir, sent }, through)
    }

    fn sent(&self) -> Vec<u8> {
        self.sent.lock().expect("record").clone()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_provisioning_token_never_reaches_the_database() {
    let database = Arc::new(crate::helpers::migrated_database().await);
    let (tap, through) = Tap::start(&database);
    let app = TestApp::spawn_on(database, |config| config.database = Some(through)).await;
    let token = app.provisioning_token(&["scim"]).await;
    let before = tap.sent().len();

    let response = app.http.get(app.url("/scim/v2/Users")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(response.status(), 200, "the client's token is valid");
    let response = app.http.get(app.url("/scim/v2/Users")).bearer_auth("tcp_not_a_token").send().await.expect("GET");
    assert_eq!(response.status(), 401);

    let sent = tap.sent();
    assert!(sent.len() > before, "the replica's statements pass through the tap");
    assert!(!contains(&sent, token.as_bytes()), "the token itself went to PostgreSQL");
    assert!(!contains(&sent, b"tcp_not_a_token"), "a presented token went to PostgreSQL");
    let digest = Sha256::digest(token.as_bytes());
    assert!(contains(&sent[before..], digest.as_slice()), "the lookup sends the token's digest");
}

#[tokio::test]
async fn a_token_hashed_by_postgresql_before_is_still_valid() {
    let app = TestApp::spawn().await;
    // As `provisioning-client create` stored digests before: PostgreSQL's sha256 of the UTF-8.
    app.sql
        .execute(
            "INSERT INTO provisioning_clients (name, token_sha256, scopes)
             VALUES ('legacy', sha256(convert_to('tcp_issued_before', 'UTF8')), '{scim}')",
            &[],
        )
        .await
        .expect("a client of before");
    let response = app.http.get(app.url("/scim/v2/Users")).bearer_auth("tcp_issued_before").send().await.expect("GET");
    assert_eq!(response.status(), 200);
}

//! `/socket.io/` behind deploy/nginx.conf (as `tutorchat-dev topology` writes it for one
//! machine) in front of two replicas: a long-polling session stays on the replica that holds it
//! (the upstream hashes the client's address), the upgrade passes, messages from either replica
//! arrive, and the access log keeps paths only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use super::client::Auth;
use super::{Sio, Transports, world};
use crate::helpers::free_port;

/// nginx running the deployment's configuration (without its TLS listener), stopped when
/// dropped: its master is told to stop (SIGTERM), which stops its workers too (a SIGKILL would
/// leave them running).
pub(crate) struct Nginx {
    child: tokio::process::Child,
    pub(crate) dir: PathBuf,
    pub(crate) front: SocketAddr,
}

impl Nginx {
    pub(crate) async fn start(replicas: &[SocketAddr]) -> Self {
        let dir = std::env::temp_dir().join(format!("tutorchat-socketio-nginx-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("nginx's directory");
        let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let tls = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let conf = tutorchat_dev::nginx_config(&dir, front, tls, replicas);
        let conf: Vec<&str> = conf.lines().filter(|line| !line.contains("ssl")).collect();
        std::fs::write(dir.join("nginx.conf"), conf.join("\n")).expect("write nginx.conf");
        let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].into_iter().find(|n| std::path::Path::new(n).exists());
        let child = tokio::process::Command::new(nginx.unwrap_or("nginx"))
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start nginx (scripts/test installs it: ensure_nginx)");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(front).await.is_err() {
            assert!(std::time::Instant::now() < deadline, "nginx did not listen on {front} within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { child, dir, front }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id().and_then(|id| i32::try_from(id).ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn behind_nginx_a_polling_session_stays_on_its_replica_and_hears_both() {
    let w = world().await;
    let nginx = Nginx::start(&[w.a.addr, w.b.addr]).await;
    w.a.settled().await;
    w.b.settled().await;
    for transports in [Transports::PollingOnly, Transports::PollingThenUpgrade, Transports::WebsocketOnly] {
        let url = format!("http://{}", nginx.front);
        let mut student = Sio::start(&[url], Auth::Token(&w.student.token), transports, false);
        student.connected().await;
        for (app, text) in [(&w.a, "с реплики A"), (&w.b, "с реплики B")] {
            let id = app.send(&w.teacher, w.chat, text).await;
            assert_eq!(student.frame("new_message").await["message"]["id"], id, "{transports:?}");
        }
        student.emit("send_message", json!({ "conversationId": w.chat, "content": "через nginx" })).await;
        assert_eq!(student.frame("new_message").await["message"]["content"], "через nginx", "{transports:?}");
    }
    let log = std::fs::read_to_string(nginx.dir.join("access.log")).expect("nginx's access log");
    assert!(log.contains("/socket.io/"), "{log}");
    assert!(!log.contains("sid=") && !log.contains("EIO="), "the access log keeps no query: {log}");
}

#[test]
fn the_deployments_nginx_routes_socket_io_by_address_with_upgrades() {
    let conf = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf")).expect("nginx.conf");
    let block = |start: &str| {
        let from = &conf[conf.find(start).unwrap_or_else(|| panic!("{start}"))..];
        from[..from.find("\n    }").expect("its end")].to_owned()
    };
    let servers = |block: &str| block.lines().filter(|l| l.trim_start().starts_with("server ")).count();
    let upstream = block("upstream tutorchat_socketio {");
    assert!(upstream.contains("hash $remote_addr consistent;"), "{upstream}");
    assert_eq!(servers(&upstream), servers(&block("upstream tutorchat {")), "the same replicas");
    let location = block("location /socket.io/ {");
    for line in
        ["proxy_pass http://tutorchat_socketio;", "proxy_set_header Upgrade $http_upgrade;", "proxy_buffering off;"]
    {
        assert!(location.contains(line), "location /socket.io/ lacks {line}");
    }
}

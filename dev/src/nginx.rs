//! nginx in front of the topology's replicas: `deploy/nginx.conf` (the file compose.yaml uses)
//! rewritten with this machine's paths and ports, a self-signed certificate for its TLS port,
//! and a watchdog that stops nginx when the topology's process goes away.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const NGINX_TEMPLATE: &str = include_str!("../../deploy/nginx.conf");

/// Runs nginx in the foreground and stops it (`QUIT`: finish what is in flight) when its stdin,
/// a pipe from this process, closes.
const NGINX_WATCHDOG: &str = r#"
"$NGINX" -c "$NGINX_CONF" -p "$NGINX_PREFIX" -g 'daemon off;' &
pid=$!
echo started
cat >/dev/null
kill -QUIT "$pid" 2>/dev/null
wait "$pid"
"#;

fn find_nginx() -> anyhow::Result<PathBuf> {
    let in_path =
        std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("nginx")).find(|n| n.is_file()));
    in_path
        .or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|n| n.is_file()))
        .context("nginx was not found in PATH or /usr/sbin: install it (Debian/Ubuntu: apt-get install nginx)")
}

/// `deploy/nginx.conf` with this machine's paths and ports: plain HTTP on `front`, TLS on
/// `tls_front` with the certificate in `prefix/tls/`.
pub fn nginx_config(prefix: &Path, front: SocketAddr, tls_front: SocketAddr, replicas: &[SocketAddr]) -> String {
    // nginx resolves relative paths against its prefix, so a relative `prefix` would double.
    let prefix = std::path::absolute(prefix).unwrap_or_else(|_| prefix.to_path_buf());
    let mut out = String::new();
    let mut in_replicas = false;
    for line in NGINX_TEMPLATE.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        let p = prefix.display();
        if line.contains("# replicas: begin") {
            in_replicas = true;
            for addr in replicas {
                out.push_str(&format!("{indent}server {addr} max_fails=0;\n"));
            }
            continue;
        }
        if line.contains("# replicas: end") {
            in_replicas = false;
            continue;
        }
        if in_replicas {
            continue;
        }
        let rewritten = match line.split("# topology: ").nth(1).map(str::trim) {
            Some("pid") => format!("{indent}pid {p}/nginx.pid;"),
            Some("error_log") => format!("{indent}error_log {p}/error.log warn;"),
            Some("error_log_quiet") => format!("{indent}error_log {p}/error.log crit;"),
            Some("access_log") => format!("{indent}access_log {p}/access.log upstream;"),
            Some("listen") => format!("{indent}listen {front};"),
            Some("listen_tls") => format!("{indent}listen {tls_front} ssl;"),
            Some("tls_cert") => format!("{indent}ssl_certificate {p}/tls/cert.pem;"),
            Some("tls_key") => format!("{indent}ssl_certificate_key {p}/tls/key.pem;"),
            Some("temp") if line.contains("client_body_temp_path") => {
                format!("{indent}client_body_temp_path {p}/body;")
            }
            Some("temp") => format!("{indent}proxy_temp_path {p}/proxy;"),
            _ => line.to_owned(),
        };
        out.push_str(&rewritten);
        out.push('\n');
    }
    out
}

/// A self-signed certificate for 127.0.0.1 and localhost in `dir` (kept when there already is
/// one), made with the `openssl` command.
fn self_signed_certificate(dir: &Path) -> anyhow::Result<()> {
    if dir.join("cert.pem").is_file() && dir.join("key.pem").is_file() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let output = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdin(Stdio::null())
        .output()
        .context("cannot run openssl to make nginx's certificate (Debian/Ubuntu: apt-get install openssl)")?;
    if !output.status.success() {
        bail!("openssl could not make a certificate: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

pub(super) fn start(
    prefix: &Path,
    front: SocketAddr,
    tls_front: SocketAddr,
    replicas: &[SocketAddr],
) -> anyhow::Result<Child> {
    let nginx = find_nginx()?;
    std::fs::create_dir_all(prefix)?;
    let prefix = &std::path::absolute(prefix)?; // DATA_DIR may be relative (.data by default)
    self_signed_certificate(&prefix.join("tls"))?;
    let conf = prefix.join("nginx.conf");
    std::fs::write(&conf, nginx_config(prefix, front, tls_front, replicas))?;
    let mut watchdog = Command::new("/bin/sh")
        .arg("-c")
        .arg(NGINX_WATCHDOG)
        .env("NGINX", &nginx)
        .env("NGINX_CONF", &conf)
        .env("NGINX_PREFIX", prefix)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("cannot start nginx")?;
    let mut line = String::new();
    if let Some(stdout) = watchdog.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut line);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&front, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline || watchdog.try_wait()?.is_some() {
            let log = std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default();
            drop(watchdog.stdin.take());
            let _ = watchdog.wait();
            bail!("nginx did not start on {front}: {}", log.lines().last().unwrap_or("(no log)"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(watchdog)
}

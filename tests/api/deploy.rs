//! compose.yaml, the Dockerfile and deploy/nginx.conf must agree with each other (no Docker
//! engine here to run them, so their structure is checked instead; the native topology in
//! tests/faults runs the same nginx.conf for real).

use serde_yaml_ng::Value;

fn file(path: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + path).expect(path)
}

#[test]
fn compose_nginx_and_dockerfile_agree() {
    let compose: Value = serde_yaml_ng::from_str(&file("compose.yaml")).expect("compose.yaml is valid YAML");
    let services = compose["services"].as_mapping().expect("services");
    let service = |name: &str| services.get(name).unwrap_or_else(|| panic!("service {name} missing"));

    // The database: a health check and a volume; the migration waits for it.
    assert!(service("db")["healthcheck"]["test"].is_sequence());
    assert!(service("db")["volumes"][0].as_str().is_some_and(|v| v.starts_with("pgdata:")));
    // Least privilege: the roles come from the init script; the migration runs as the owner,
    // the replicas as the runtime role (checked below); no password has a default.
    assert!(
        service("db")["volumes"][1]
            .as_str()
            .is_some_and(|v| v.starts_with("./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/")),
        "the roles' init script is mounted"
    );
    let init = file("deploy/postgres-init.sh");
    for role in [
        "CREATE ROLE tutorchat_app NOLOGIN",
        "CREATE ROLE tutorchat_owner LOGIN",
        "CREATE ROLE tutorchat_runtime LOGIN PASSWORD :'runtime_password' IN ROLE tutorchat_app",
        "ALTER DATABASE tutorchat OWNER TO tutorchat_owner",
    ] {
        assert!(init.contains(role), "deploy/postgres-init.sh lacks {role}");
    }
    for var in ["POSTGRES_PASSWORD", "TUTORCHAT_OWNER_PASSWORD", "TUTORCHAT_RUNTIME_PASSWORD"] {
        let value = service("db")["environment"][var].as_str().unwrap_or_default();
        assert!(value.starts_with(&format!("${{{var}:?")), "{var} = {value}");
    }
    let migrate_url = service("migrate")["environment"]["DATABASE_URL"].as_str().expect("DATABASE_URL");
    assert!(migrate_url.starts_with("postgres://tutorchat_owner:"), "{migrate_url}");
    assert_eq!(service("migrate")["depends_on"]["db"]["condition"].as_str(), Some("service_healthy"));
    assert_eq!(service("migrate")["command"][0].as_str(), Some("migrate"));
    assert!(
        service("migrate")["command"].as_sequence().is_some_and(|c| c.len() == 1),
        "no demo data unless asked for: {:?}",
        service("migrate")["command"]
    );

    // nginx's upstreams (REST, kept alive; event streams, a connection each) list exactly the
    // replica services, on the port they listen on.
    let nginx_conf = file("deploy/nginx.conf");
    let block = |name: &str| -> String {
        let start = nginx_conf.find(&format!("upstream {name} {{")).unwrap_or_else(|| panic!("upstream {name}"));
        let end = start + nginx_conf[start..].find("\n    }").expect("the block's end");
        nginx_conf[start..end].to_owned()
    };
    let servers = |block: &str| -> Vec<String> {
        block
            .lines()
            .map(str::trim)
            .filter(|l| l.ends_with(";")) // `server 1.2.3.4:80 …;`
            .filter_map(|l| l.strip_prefix("server ").and_then(|rest| rest.split_whitespace().next()))
            .map(str::to_owned)
            .collect()
    };
    let (rest, streams) = (block("tutorchat"), block("tutorchat_streams"));
    assert_eq!(servers(&streams), servers(&rest));
    assert!(rest.contains("keepalive 32;") && !streams.contains("keepalive"), "{streams}");
    assert!(nginx_conf.contains("location /api/events/ {\n            proxy_pass http://tutorchat_streams;"));
    let upstreams = servers(&rest);
    assert_eq!(upstreams, vec!["replica1:8080", "replica2:8080", "replica3:8080"]);
    for upstream in &upstreams {
        let (name, port) = upstream.split_once(':').expect("host:port");
        let replica = service(name);
        let listen = replica["environment"]["LISTEN_ADDR"].as_str().expect("LISTEN_ADDR");
        assert!(listen.ends_with(&format!(":{port}")), "{name} listens on {listen}, nginx expects {port}");
        let url = replica["environment"]["DATABASE_URL"].as_str().unwrap_or_default();
        assert!(url.starts_with("postgres://tutorchat_runtime:") && url.contains("@db:5432/"), "{name}: {url}");
        assert_eq!(replica["depends_on"]["migrate"]["condition"].as_str(), Some("service_completed_successfully"));
        assert_eq!(replica["build"].as_str(), Some("."), "{name} is built from the repo");
        // Safe by default: no fallback signing key (`${VAR:?…}` makes compose refuse to start
        // without one) and dev login off unless asked for.
        let secret = replica["environment"]["JWT_SECRET"].as_str().expect("JWT_SECRET");
        assert!(secret.starts_with("${JWT_SECRET:?") && secret.ends_with('}'), "{name}: JWT_SECRET = {secret}");
        assert_eq!(replica["environment"]["DEV_LOGIN"].as_str(), Some("${DEV_LOGIN:-false}"), "{name}");
    }

    // nginx uses this very file and publishes the port its config listens on.
    let nginx = service("nginx");
    assert!(
        nginx["volumes"]
            .as_sequence()
            .expect("volumes")
            .iter()
            .any(|v| v.as_str() == Some("./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"))
    );
    assert!(nginx_conf.contains("listen 80;"));
    assert!(nginx["ports"][0].as_str().is_some_and(|p| p.ends_with(":80")));
    assert!(nginx["ports"][1].as_str().is_some_and(|p| p.ends_with(":443")), "TLS is published");
    assert!(
        nginx["volumes"]
            .as_sequence()
            .expect("volumes")
            .iter()
            .any(|v| v.as_str() == Some("./deploy/tls:/etc/nginx/tls:ro")),
        "the certificate is mounted"
    );
    for setting in
        ["proxy_buffering off;", "proxy_http_version 1.1;", "proxy_read_timeout 1h;", "gzip off;", "keepalive 32;"]
    {
        assert!(nginx_conf.contains(setting), "deploy/nginx.conf lacks {setting}");
    }

    // Room for the README's 57,000 streams (two connections each) and limits per address.
    for setting in [
        "worker_processes auto;",
        "worker_connections 65536;",
        "worker_rlimit_nofile 140000;",
        "server_tokens off;",
        "limit_conn streams_per_ip",
        "limit_req zone=stream_opens_per_ip",
        "limit_req zone=writes_per_ip",
        "limit_req_status 429;",
        "listen 443 ssl;",
        "ssl_certificate /etc/nginx/tls/cert.pem;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "add_header Strict-Transport-Security $hsts always;",
    ] {
        assert!(nginx_conf.contains(setting), "deploy/nginx.conf lacks {setting}");
    }
    // nginx drops idle upstream connections before a replica would (HTTP_HEADER_TIMEOUT_SECS).
    let keepalive: u64 = nginx_conf
        .lines()
        .find_map(|l| l.trim().strip_prefix("keepalive_timeout ")?.strip_suffix("s;")?.parse().ok())
        .expect("an upstream keepalive_timeout in seconds");
    assert!(keepalive < tutorchat::config::HttpConfig::default().header_timeout.as_secs());

    // The image serves on the port the replicas are told to use, with the client built in.
    let dockerfile = file("Dockerfile");
    assert!(dockerfile.contains("EXPOSE 8080"));
    assert!(dockerfile.contains("STATIC_DIR=/srv/tutorchat/client") && dockerfile.contains("npm run build"));
    assert!(dockerfile.contains("cargo build --release --locked --bin tutorchat"));
}

#[test]
fn the_native_topology_rewrites_only_what_differs_on_one_machine() {
    let front = "127.0.0.1:18088".parse().expect("addr");
    let replicas = ["127.0.0.1:1001".parse().expect("addr"), "127.0.0.1:1002".parse().expect("addr")];
    let tls = "127.0.0.1:18443".parse().expect("addr");
    let conf = tutorchat::dev::nginx_config(std::path::Path::new("/tmp/x"), front, tls, &replicas);
    assert!(conf.contains("listen 127.0.0.1:18443 ssl;") && conf.contains("ssl_certificate /tmp/x/tls/cert.pem;"));
    assert!(conf.contains("listen 127.0.0.1:18088;"));
    assert!(conf.contains("server 127.0.0.1:1001 max_fails=0;") && conf.contains("server 127.0.0.1:1002 max_fails=0;"));
    assert_eq!(conf.matches("server 127.0.0.1:1002 max_fails=0;").count(), 2, "in both upstreams");
    assert!(!conf.contains("replica1:8080"));
    assert!(conf.contains("pid /tmp/x/nginx.pid;") && conf.contains("access_log /tmp/x/access.log upstream;"));
    assert!(conf.contains("proxy_buffering off;"), "everything else is kept");

    // DATA_DIR is relative by default (.data); nginx would resolve it against its prefix again.
    let relative = tutorchat::dev::nginx_config(std::path::Path::new(".data/topology/nginx"), front, tls, &replicas);
    let absolute = std::env::current_dir().expect("cwd").join(".data/topology/nginx");
    assert!(relative.contains(&format!("pid {}/nginx.pid;", absolute.display())), "{relative}");
}

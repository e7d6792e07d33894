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
    // The passwords reach psql through its environment (\getenv), not its arguments, which
    // every user of the machine sees in `ps`.
    for (var, name) in
        [("TUTORCHAT_OWNER_PASSWORD", "owner_password"), ("TUTORCHAT_RUNTIME_PASSWORD", "runtime_password")]
    {
        assert!(init.contains(&format!("\\getenv {name} {var}\n")), "psql reads {var} with \\getenv");
    }
    assert!(!init.contains("-v owner_password") && !init.contains("-v runtime_password"), "a password in psql's argv");
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
    // Every dialect's socket: upgraded, on a connection of its own to a replica.
    let socket = "location ~ ^/api/(v1/ws|chat/ws/[0-9]+|unet-chat/ws/conversations/[0-9]+/)$ {";
    let start = nginx_conf.find(socket).unwrap_or_else(|| panic!("{socket}"));
    let end = start + nginx_conf[start..].find("\n        }").expect("the block's end");
    let block = &nginx_conf[start..end];
    assert!(block.contains("proxy_pass http://tutorchat_streams;"), "{block}");
    assert!(block.contains("proxy_set_header Upgrade $http_upgrade;"), "{block}");
    assert!(block.contains("proxy_set_header Connection \"upgrade\";"), "{block}");
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
    let conf = tutorchat_dev::nginx_config(std::path::Path::new("/tmp/x"), front, tls, &replicas);
    assert!(conf.contains("listen 127.0.0.1:18443 ssl;") && conf.contains("ssl_certificate /tmp/x/tls/cert.pem;"));
    assert!(conf.contains("listen 127.0.0.1:18088;"));
    assert!(conf.contains("server 127.0.0.1:1001 max_fails=0;") && conf.contains("server 127.0.0.1:1002 max_fails=0;"));
    assert_eq!(conf.matches("server 127.0.0.1:1002 max_fails=0;").count(), 3, "in every upstream");
    assert!(!conf.contains("replica1:8080"));
    assert!(conf.contains("pid /tmp/x/nginx.pid;") && conf.contains("access_log /tmp/x/access.log upstream;"));
    assert!(conf.contains("proxy_buffering off;"), "everything else is kept");

    // DATA_DIR is relative by default (.data); nginx would resolve it against its prefix again.
    let relative = tutorchat_dev::nginx_config(std::path::Path::new(".data/topology/nginx"), front, tls, &replicas);
    let absolute = std::env::current_dir().expect("cwd").join(".data/topology/nginx");
    assert!(relative.contains(&format!("pid {}/nginx.pid;", absolute.display())), "{relative}");
}

/// compose.ha.yaml is `tutorchat-dev topology --ha` under Docker: etcd's quorum, two PostgreSQL
/// servers under Patroni with the native topology's timing (deploy/patroni/patroni.yml), and
/// compose.yaml's replicas and nginx, the replicas connecting to whichever server leads. The
/// database tier speaks TLS with certificates of its own CA, as natively.
#[test]
fn the_ha_compose_file_runs_three_etcd_members_two_patroni_nodes_and_replicas_that_follow_the_leader() {
    use tokio_postgres::config::{Host, TargetSessionAttrs};
    use tutorchat_dev::topology::ha::{LOOP_WAIT, RETRY_TIMEOUT, TTL};

    let text = file("compose.ha.yaml");
    let mut compose: Value = serde_yaml_ng::from_str(&text).expect("compose.ha.yaml is valid YAML");
    compose.apply_merge().expect("its merge keys (`<<: *anchor`) resolve");
    let services = compose["services"].as_mapping().expect("services");
    let service = |name: &str| services.get(name).unwrap_or_else(|| panic!("service {name} missing"));
    let env = |name: &str, var: &str| -> String {
        service(name)["environment"][var].as_str().unwrap_or_else(|| panic!("{name}: {var}")).to_owned()
    };
    let names = || services.keys().filter_map(Value::as_str);
    let patroni: Value =
        serde_yaml_ng::from_str(&file("deploy/patroni/patroni.yml")).expect("deploy/patroni/patroni.yml is valid YAML");

    // Three etcd members, each naming all three in its initial cluster, and Patroni's list of them.
    let members = ["etcd1", "etcd2", "etcd3"];
    assert_eq!(names().filter(|n| service(n)["command"][0].as_str() == Some("etcd")).collect::<Vec<_>>(), members);
    let cluster: Vec<String> = members.iter().map(|m| format!("{m}=https://{m}:2380")).collect();
    for member in members {
        assert_eq!(env(member, "ETCD_NAME"), member);
        assert_eq!(env(member, "ETCD_INITIAL_CLUSTER").split(',').collect::<Vec<_>>(), cluster, "{member}");
        assert_eq!(env(member, "ETCD_INITIAL_ADVERTISE_PEER_URLS"), format!("https://{member}:2380"));
        assert_eq!(env(member, "ETCD_ADVERTISE_CLIENT_URLS"), format!("https://{member}:2379"));
        assert_eq!(env(member, "ETCD_LISTEN_CLIENT_URLS"), "https://0.0.0.0:2379");
        assert_eq!(env(member, "ETCD_LISTEN_PEER_URLS"), "https://0.0.0.0:2380");
        // Clients and peers present a certificate of the CA, which etcd checks.
        assert_eq!(
            (env(member, "ETCD_CLIENT_CERT_AUTH"), env(member, "ETCD_PEER_CLIENT_CERT_AUTH")),
            ("true".into(), "true".into())
        );
        for var in ["ETCD_TRUSTED_CA_FILE", "ETCD_PEER_TRUSTED_CA_FILE"] {
            assert_eq!(env(member, var), "/etc/tutorchat/tls/ca.crt", "{member}: {var}");
        }
        assert!(env(member, "ETCD_DATA_DIR").starts_with("/var/lib/etcd/"), "{member}");
        assert_eq!(service(member)["volumes"][0].as_str(), Some(format!("{member}:/var/lib/etcd").as_str()));
        assert_eq!(
            service(member)["volumes"][1].as_str(),
            Some(format!("tls-{member}:/etc/tutorchat/tls:ro").as_str())
        );
    }
    let hosts: Vec<String> = members.iter().map(|m| format!("{m}:2379")).collect();
    assert_eq!(serde_yaml_ng::from_value::<Vec<String>>(patroni["etcd3"]["hosts"].clone()).ok(), Some(hosts));

    // Two Patroni nodes, one template: what differs comes from the environment.
    let nodes: Vec<&str> = names().filter(|n| service(n)["environment"]["PATRONI_NAME"].is_string()).collect();
    assert_eq!(nodes, ["pg1", "pg2"]);
    let data_dir = patroni["postgresql"]["data_dir"].as_str().expect("data_dir");
    assert_eq!(patroni["postgresql"]["listen"].as_str(), Some("0.0.0.0:5432"));
    assert_eq!(patroni["restapi"]["listen"].as_str(), Some("0.0.0.0:8008"));
    for node in &nodes {
        assert_eq!(env(node, "PATRONI_NAME"), *node);
        assert_eq!(env(node, "PATRONI_POSTGRESQL_CONNECT_ADDRESS"), format!("{node}:5432"));
        assert_eq!(env(node, "PATRONI_RESTAPI_CONNECT_ADDRESS"), format!("{node}:8008"));
        let volume = service(node)["volumes"][0].as_str().unwrap_or_default();
        let mount =
            volume.strip_prefix(&format!("{node}:")).unwrap_or_else(|| panic!("{node} keeps its data: {volume}"));
        assert!(data_dir.starts_with(&format!("{mount}/")), "{node}: {data_dir} is not on the volume {mount}");
        assert_eq!(service(node)["build"]["dockerfile"].as_str(), Some("patroni/Dockerfile"));
        assert_eq!(service(node)["volumes"][1].as_str(), Some(format!("tls-{node}:/etc/tutorchat/tls:ro").as_str()));
        // Healthy: it leads, or streams from the leader.
        let health = service(node)["healthcheck"]["test"].as_sequence().expect("a health check");
        assert!(health.iter().any(|a| a.as_str() == Some("https://127.0.0.1:8008/read-only")), "{node}: {health:?}");
    }
    // Each host's certificate is made once, in its own volume; the CA's key in one no server mounts.
    let tls = service("tls")["volumes"].as_sequence().expect("the tls service's volumes");
    let made: Vec<&str> = tls.iter().filter_map(Value::as_str).collect();
    let expected: Vec<String> =
        ["ca"].iter().chain(&members).chain(&nodes).map(|h| format!("tls-{h}:/tls/{h}")).collect();
    assert_eq!(made, expected);
    assert!(names().all(|n| n == "tls" || !text_of(service(n)).contains("tls-ca")), "only `tls` mounts the CA's key");
    // Patroni: the REST API over HTTPS behind a password, etcd with the client certificate,
    // PostgreSQL with TLS, the standby checking the primary's certificate.
    assert_eq!(patroni["restapi"]["certfile"].as_str(), Some("/etc/tutorchat/tls/server.crt"));
    assert_eq!(patroni["restapi"]["authentication"]["username"].as_str(), Some("patroni"));
    assert_eq!(patroni["etcd3"]["protocol"].as_str(), Some("https"));
    assert_eq!(patroni["etcd3"]["cert"].as_str(), Some("/etc/tutorchat/tls/server.crt"));
    assert_eq!(patroni["postgresql"]["parameters"]["ssl"].as_str(), Some("on"));
    for user in ["replication", "rewind"] {
        let auth = &patroni["postgresql"]["authentication"][user];
        assert_eq!(auth["sslmode"].as_str(), Some("verify-full"), "{user}");
        assert_eq!(auth["sslrootcert"].as_str(), Some("/etc/tutorchat/tls/ca.crt"), "{user}");
    }
    // etcd answers only the Patroni nodes (its own network), not the replicas.
    for name in names() {
        let networks = service(name)["networks"].as_sequence().cloned().unwrap_or_default();
        let on_dcs = networks.iter().any(|n| n.as_str() == Some("dcs"));
        assert_eq!(on_dcs, members.contains(&name) || nodes.contains(&name), "{name}: {networks:?}");
    }

    // The dynamic configuration is `tutorchat-dev topology --ha`'s (dev/src/topology/ha.rs).
    let dcs = &patroni["bootstrap"]["dcs"];
    assert_eq!((dcs["ttl"].as_u64(), dcs["loop_wait"].as_u64()), (Some(TTL), Some(LOOP_WAIT)));
    assert_eq!(dcs["retry_timeout"].as_u64(), Some(RETRY_TIMEOUT));
    assert_eq!(dcs["synchronous_mode"].as_bool(), Some(true), "a commit waits for the standby");
    assert_eq!(dcs["primary_start_timeout"].as_u64(), Some(0));
    assert_eq!(dcs["maximum_lag_on_failover"].as_u64(), Some(1_048_576));
    assert_eq!(dcs["postgresql"]["use_pg_rewind"].as_bool(), Some(true));
    assert_eq!(dcs["postgresql"]["use_slots"].as_bool(), Some(true));
    // PostgreSQL's parameters are the native topology's, value for value (YAML's 300 is a number,
    // its "on" and 256MB strings, as the native JSON has them).
    let parameters: serde_json::Value =
        serde_yaml_ng::from_value(dcs["postgresql"]["parameters"].clone()).expect("parameters");
    assert_eq!(parameters, tutorchat_dev::topology::ha::parameters(), "PostgreSQL's parameters");
    // Passwords over the network, and TLS but for the application's own roles on its database
    // (its client speaks no TLS yet); the roles from compose.yaml's script, once the database exists.
    let hba = patroni["postgresql"]["pg_hba"].as_sequence().expect("pg_hba");
    let network = hba.iter().filter_map(Value::as_str).filter(|l| l.starts_with("host"));
    assert!(network.clone().all(|l| l.ends_with(" scram-sha-256")), "{:?}", network.collect::<Vec<_>>());
    let clear: Vec<&str> = network.filter(|l| !l.starts_with("hostssl ")).collect();
    assert_eq!(clear, ["host tutorchat tutorchat_owner,tutorchat_runtime samenet scram-sha-256"]);
    assert!(
        patroni["bootstrap"]["pg_hba"].is_null(),
        "postgresql.pg_hba replaces initdb's lines, bootstrap's would add to them"
    );
    let post_bootstrap = patroni["bootstrap"]["post_bootstrap"].as_str().expect("post_bootstrap");
    let (dir, _) = post_bootstrap.rsplit_once('/').expect("a path");
    let dockerfile = file("deploy/patroni/Dockerfile");
    assert!(dockerfile.contains(&format!("COPY --chmod=755 postgres-init.sh patroni/post-bootstrap.sh {dir}/")));
    assert!(dockerfile.contains("COPY patroni/patroni.yml /etc/patroni/patroni.yml"));
    assert!(dockerfile.contains(&format!("COPY --chmod=755 patroni/make-certs.sh {dir}/")));
    assert!(
        dockerfile.contains("postgresql-15 patroni python3-etcd etcd-server") && dockerfile.contains("USER postgres")
    );
    let script = file("deploy/patroni/post-bootstrap.sh");
    assert!(script.contains("CREATE DATABASE tutorchat") && script.contains(&format!("exec {dir}/postgres-init.sh")));

    // The migration and the replicas name both servers: the one that takes writes, and for
    // reads the standby, whichever each is now.
    let url = |name: &str, var: &str| {
        let mut value = env(name, var);
        while let Some(start) = value.find("${") {
            let end = start + value[start..].find('}').expect("`}`");
            value.replace_range(start..=end, "secret");
        }
        let config = tutorchat::config::parse_database_url(&value).unwrap_or_else(|e| panic!("{name}: {var}: {e:?}"));
        // A server gone without a word is given up as quickly as natively (ha::DEAD_SERVER).
        let native =
            tutorchat::config::parse_database_url(&format!("host=pg1 {}", tutorchat_dev::topology::ha::DEAD_SERVER))
                .expect("DEAD_SERVER parses");
        let gone = |c: &tokio_postgres::Config| {
            let keepalives = (c.get_keepalives_idle(), c.get_keepalives_interval(), c.get_keepalives_retries());
            (c.get_connect_timeout().copied(), c.get_tcp_user_timeout().copied(), keepalives)
        };
        assert_eq!(gone(&config), gone(&native), "{name}: {var}");
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|h| if let Host::Tcp(h) = h { h.clone() } else { format!("{h:?}") })
            .collect();
        assert_eq!(
            (hosts, config.get_ports()),
            (vec!["pg1".to_owned(), "pg2".to_owned()], &[5432, 5432][..]),
            "{name}"
        );
        (config.get_user().unwrap_or_default().to_owned(), config.get_target_session_attrs())
    };
    assert_eq!(url("migrate", "DATABASE_URL"), ("tutorchat_owner".to_owned(), TargetSessionAttrs::ReadWrite));
    for node in &nodes {
        assert_eq!(service("migrate")["depends_on"][*node]["condition"].as_str(), Some("service_healthy"), "{node}");
    }
    let single: Value = serde_yaml_ng::from_str(&file("compose.yaml")).expect("compose.yaml is valid YAML");
    for name in ["replica1", "replica2", "replica3"] {
        assert_eq!(url(name, "DATABASE_URL"), ("tutorchat_runtime".to_owned(), TargetSessionAttrs::ReadWrite));
        assert_eq!(url(name, "READ_DATABASE_URL"), ("tutorchat_runtime".to_owned(), TargetSessionAttrs::ReadOnly));
        // Everything else is compose.yaml's replica (its secrets, dev login, depends_on…).
        let (mut ha, mut one) = (service(name).clone(), single["services"][name].clone());
        for replica in [&mut ha, &mut one] {
            let environment = replica.get_mut("environment").and_then(Value::as_mapping_mut).expect("environment");
            environment.remove("DATABASE_URL");
            environment.remove("READ_DATABASE_URL");
        }
        assert_eq!(ha, one, "{name} differs from compose.yaml's beyond its database URLs");
    }
    assert_eq!(service("nginx"), &single["services"]["nginx"], "nginx as in compose.yaml");

    // No secret has a default: the passwords and the signing key must be set (`${VAR:?…}`);
    // optional ones (an OIDC client's, the webhook's) are empty unless set, their feature off.
    for var in [
        "JWT_SECRET",
        "POSTGRES_PASSWORD",
        "REPLICATION_PASSWORD",
        "PATRONI_RESTAPI_PASSWORD",
        "TUTORCHAT_OWNER_PASSWORD",
        "TUTORCHAT_RUNTIME_PASSWORD",
    ] {
        assert!(text.contains(&format!("${{{var}:?")), "{var} is required");
    }
    for (start, _) in text.match_indices("${") {
        let expression = &text[start + 2..start + text[start..].find('}').expect("`}`")];
        let (var, fallback) = expression.split_once(':').unwrap_or((expression, ""));
        if var.contains("PASSWORD") || var.contains("SECRET") {
            assert!(fallback.starts_with('?') || fallback == "-", "${{{expression}}}: a secret with a default");
        }
    }
    for node in &nodes {
        for (var, value) in service(node)["environment"].as_mapping().expect("environment") {
            if var.as_str().is_some_and(|v| v.ends_with("PASSWORD")) {
                assert!(value.as_str().is_some_and(|v| v.starts_with("${") && v.contains(":?")), "{node}: {var:?}");
            }
        }
    }
    assert!(!file("deploy/patroni/patroni.yml").contains("password:"), "the template holds no password");
}

/// A service's YAML, as text (to look for a name anywhere in it).
fn text_of(service: &Value) -> String {
    serde_yaml_ng::to_string(service).unwrap_or_default()
}

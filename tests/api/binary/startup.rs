//! Start-up failures: each is one line on stderr naming the setting to fix.

use std::process::{Command, Stdio};

use super::{config_url, serve, tutorchat};
use crate::helpers::{SECRET, fresh_database};

/// Runs to completion and returns (success, the non-empty lines of stderr).
fn fails_with(command: &mut Command) -> Vec<String> {
    let output = command.stdin(Stdio::null()).output().expect("run tutorchat");
    assert!(!output.status.success(), "expected a failure, got {:?}", output.status);
    String::from_utf8_lossy(&output.stderr).lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
}

fn one_line_naming(lines: &[String], variable: &str) {
    assert_eq!(lines.len(), 1, "expected one line, got {lines:#?}");
    assert!(lines[0].contains(variable), "{:?} does not name {variable}", lines[0]);
}

#[test]
fn an_unparseable_database_url_is_one_line_naming_it() {
    let lines = fails_with(tutorchat().arg("serve").env("JWT_SECRET", SECRET).env("DATABASE_URL", "postgres://[::1"));
    one_line_naming(&lines, "DATABASE_URL");
}

#[test]
fn an_unreachable_database_is_one_line_naming_it() {
    let lines = fails_with(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("DATABASE_URL", "postgres://nobody:secret-password@127.0.0.1:1/nothing"),
    );
    one_line_naming(&lines, "DATABASE_URL");
    assert!(!lines[0].contains("secret-password"), "the password leaked: {}", lines[0]);
}

#[test]
fn a_bad_read_database_setting_is_one_line_naming_it() {
    one_line_naming(&fails_with(serve().env("READ_DATABASE_URL", "postgres://[::1")), "READ_DATABASE_URL");
    one_line_naming(&fails_with(serve().env("READ_WAIT_MS", "briefly")), "READ_WAIT_MS");
    one_line_naming(&fails_with(serve().env("READ_WAIT_MS", "60000")), "READ_WAIT_MS");
}

#[test]
fn a_notice_retention_shorter_than_the_quiet_period_is_one_line_naming_it() {
    one_line_naming(&fails_with(serve().env("NOTIFY_KEEP_SECS", "a month")), "NOTIFY_KEEP_SECS");
    one_line_naming(&fails_with(serve().env("NOTIFY_KEEP_SECS", "60")), "NOTIFY_KEEP_SECS");
    one_line_naming(
        &fails_with(serve().env("NOTIFY_QUIET_SECS", "120").env("NOTIFY_KEEP_SECS", "119")),
        "NOTIFY_KEEP_SECS",
    );
}

#[test]
fn a_short_or_missing_jwt_secret_is_refused() {
    one_line_naming(&fails_with(tutorchat().arg("serve").env("JWT_SECRET", "short")), "JWT_SECRET");
    one_line_naming(&fails_with(tutorchat().arg("serve")), "JWT_SECRET");
    one_line_naming(
        &fails_with(tutorchat().arg("serve").env("LISTEN_ADDR", "nowhere").env("JWT_SECRET", SECRET)),
        "LISTEN_ADDR",
    );
}

#[test]
fn a_missing_or_inconsistent_sign_in_setting_is_one_line_naming_it() {
    let https = "https://idp.school.example/realms/school";
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("OIDC_CLIENT_ID", "chat")], "OIDC_CLIENT_ID"),
        (&[("OIDC_AUDIENCE", "chat")], "OIDC_AUDIENCE"),
        (&[("OIDC_ISSUER", "http://idp.school.example"), ("OIDC_AUDIENCE", "chat")], "OIDC_ISSUER"),
        (&[("OIDC_ISSUER", "not a url"), ("OIDC_AUDIENCE", "chat")], "OIDC_ISSUER"),
        (&[("OIDC_ISSUER", https)], "OIDC_AUDIENCE"),
        (&[("OIDC_ISSUER", https), ("OIDC_CLIENT_ID", "chat")], "PUBLIC_URL"),
        (
            &[("OIDC_ISSUER", https), ("OIDC_CLIENT_ID", "chat"), ("PUBLIC_URL", "https://chat.example/app")],
            "PUBLIC_URL",
        ),
        (&[("OIDC_ISSUER", https), ("OIDC_AUDIENCE", "chat"), ("OIDC_CLIENT_SECRET", "s")], "OIDC_CLIENT_ID"),
        (&[("ALLOWED_ORIGINS", "*")], "ALLOWED_ORIGINS"),
        (&[("ALLOWED_ORIGINS", "https://school.example/page")], "ALLOWED_ORIGINS"),
        // Plain http, off this machine: its pages could be anyone's on the way (security review L6).
        (&[("ALLOWED_ORIGINS", "https://school.example,http://school.example")], "ALLOWED_ORIGINS"),
    ];
    for (env, variable) in cases {
        let mut command = serve();
        for var in
            ["OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "PUBLIC_URL", "ALLOWED_ORIGINS"]
        {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        one_line_naming(&fails_with(&mut command), variable);
    }
}

#[test]
fn the_demo_secret_once_published_in_compose_is_refused_outside_demo_mode() {
    let published = "demo-only-secret-change-me-0123456789abcdef";
    let lines = fails_with(tutorchat().arg("serve").env("JWT_SECRET", published));
    one_line_naming(&lines, "JWT_SECRET");
    assert!(lines[0].contains("published"), "{}", lines[0]);
}

#[test]
fn missing_postgres_binaries_say_what_to_install_or_set() {
    let lines = fails_with(tutorchat().arg("migrate").env("PG_BINDIR", "/nonexistent/bin"));
    one_line_naming(&lines, "PG_BINDIR");
}

#[tokio::test]
async fn a_port_in_use_is_one_line_naming_listen_addr() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let database = fresh_database().await;
    let url = config_url(&database);
    let lines = fails_with(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("DATABASE_URL", url)
            .env("LISTEN_ADDR", taken.local_addr().expect("addr").to_string()),
    );
    one_line_naming(&lines, "LISTEN_ADDR");
}

//! The development harness, apart from the production code: the demo's data and signing key,
//! and the production topology (replicas behind nginx, a private PostgreSQL from
//! `db::embedded`) on one machine, which the demo, the fault tests and the benchmark run.
//! Nothing here runs in a deployment that sets `DATABASE_URL` and no `--demo`.

pub mod demo;
mod nginx;
mod ports;
pub mod schema;
pub mod topology;

pub use nginx::nginx_config;

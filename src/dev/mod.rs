//! The development harness, apart from the production code: the demo's data and signing key,
//! a private PostgreSQL started from the machine's own binaries, and the production topology
//! (replicas behind nginx) on one machine, which the demo, the fault tests and the benchmark
//! run. Nothing here runs in a deployment that sets `DATABASE_URL` and no `--demo`.

pub mod demo;
pub mod embedded;
mod nginx;
mod ports;
pub mod schema;
pub mod topology;

pub use nginx::nginx_config;

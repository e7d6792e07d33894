//! The development harness, apart from the server: the production topology (replicas of the
//! `tutorchat` binary behind nginx, a private PostgreSQL from `tutorchat::db::embedded`, and
//! optionally Patroni and etcd) on one machine, which the demo, the fault tests and the
//! benchmark run, and the dump of `sql/schema.sql`. Nothing here is built into the server.

mod nginx;
mod ports;
pub mod schema;
pub mod topology;

pub use nginx::nginx_config;
pub use ports::free_port;

//! Fault tests on the production topology: a private PostgreSQL, three replicas of the real
//! binary and nginx in front (`tutorchat_dev::topology`, the code behind `tutorchat-dev topology`).
//! Every client goes through nginx. Each test asserts, for every subscriber: every committed
//! message of its chat arrives, none twice, in log order — and every acknowledged message is
//! committed. The tests run one at a time (each starts its own topology).

#[allow(dead_code, unused_imports)] // the API tests' helpers, not all of them used here
#[path = "../api/helpers/mod.rs"]
mod helpers;
mod support;

mod backups;
mod clock;
mod database;
mod ha;
mod ha_in_flight;
mod interrupted;
mod nginx;
mod notices;
mod replicas;
mod scheduled;
mod streams;

//! tutorchat: an event-sourced chat for a tutoring school.
//!
//! The event log in PostgreSQL (`events`) is the truth; triggers keep the read models
//! (`chats`, `chat_participants`, `messages`) and emit NOTIFY. The layers, in the order a
//! message travels: [`api`] (REST) validates and authorizes, [`log`] appends to PostgreSQL,
//! [`realtime`]'s listener reads the log after its cursor, its hub routes each event, and its
//! stream delivers it over Server-Sent Events. docs/architecture.md gives the whole picture;
//! [`demo`] holds the demo's data and key; the development harness (the local topology, the
//! schema dump) is a crate of its own, `dev/`.

pub mod access;
pub mod api;
pub mod auth;
pub mod backup;
pub mod client;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod extract;
pub mod governance;
pub mod import;
pub mod jobs;
pub mod limits;
pub mod log;
pub mod metrics;
pub mod outbox;
pub mod peer;
pub mod provisioning;
pub mod realtime;
pub mod router;
pub mod safeguarding;
pub mod scheduled;
pub mod school;
pub mod scim;
pub mod serve;
pub mod standby;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod uploads;
pub mod wire;

pub use config::Config;
pub use error::{AppError, Result};
pub use startup::Application;
pub use state::AppState;

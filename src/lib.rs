//! tutorchat: an event-sourced chat for a tutoring school.
//!
//! The event log in PostgreSQL (`events`) is the truth; triggers keep the read models
//! (`chats`, `chat_participants`, `messages`) and emit NOTIFY. The HTTP API reads the models and
//! appends to the log through [`events`]; see DESIGN.md and README.md for the whole picture.

pub mod api;
pub mod appender;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod metrics;
pub mod realtime;
pub mod startup;
pub mod telemetry;
pub mod topology;

pub use config::Config;
pub use error::{AppError, Result};
pub use startup::{AppState, Application};

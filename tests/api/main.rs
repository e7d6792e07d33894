//! Integration tests: a real PostgreSQL (DATABASE_URL, or a private throwaway server), real
//! HTTP against servers on port 0, the real binary for start-up behaviour.

mod helpers;

mod appender;
mod audit;
mod auth;
mod bench_tool;
mod binary;
mod chats;
mod deploy;
mod event_log;
mod lessons;
mod messages;
mod migrations;
mod realtime;

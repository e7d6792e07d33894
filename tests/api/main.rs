//! Integration tests: a real PostgreSQL (DATABASE_URL, or a private throwaway server), real
//! HTTP against servers on port 0, the real binary for start-up behaviour.

mod helpers;

mod appender;
mod attachments;
mod audit;
mod auth;
mod binary;
mod chats;
mod closed;
mod contract;
mod cors;
mod costly_reads;
mod deploy;
mod direct;
mod edits;
mod erasure_ledger;
mod errors;
mod event_log;
mod export;
mod governance;
mod groups;
mod guests;
mod house;
mod idempotency;
mod inquiries;
mod lessons;
mod limits;
mod messages;
mod migrations;
mod moderation;
mod notices;
mod oidc;
mod presence;
mod push;
mod reads;
mod realtime;
mod replay;
mod roles;
mod search;
mod search_cursors;
mod serve;
mod sessions;
mod sign_in;
mod standby;
mod supervision;

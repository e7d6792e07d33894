//! Uploads' life outside their requests: the allowances that bound what each person, guest,
//! link and teacher may store a day (`allowance`, counted in PostgreSQL so that every replica
//! counts the same bytes), and the sweep that forgets uploads no message attached (`orphans`),
//! a supervised job of every replica. The HTTP side (upload, download) is `api::attachments`.

pub mod allowance;
mod orphans;

pub use orphans::{OrphanAges, keep_sweeping, sweep, sweep_orphans};

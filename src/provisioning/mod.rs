//! Provisioning: the school's own systems put their people (and lessons) here through the
//! log, never through SQL. [`clients`] are those systems and their bearer tokens; [`people`]
//! creates and updates a person by the school's id for them, [`lessons`] a lesson; `crate::import`
//! reads both from CSV files (`tutorchat import`).

pub mod clients;
pub mod lessons;
pub mod people;

pub use clients::{ProvisioningClient, Scope};

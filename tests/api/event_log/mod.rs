//! The log itself: immutability, projections derived in the same transaction, gap-free reads.

mod appends;
mod own_appends;
mod reading;
mod rules;
mod settling;

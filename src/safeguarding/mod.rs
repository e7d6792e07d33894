//! The school's safeguarding policies that change what happens to a message, not who may read
//! it (that is `crate::access`): quiet hours (`quiet.rs`), in which a teacher's message to a
//! chat with a student is accepted but held until the morning; and flags (`flags.rs`), the
//! school's words and phrases that put a message in front of the moderators. They read the replica's
//! `crate::clock::Clock`, which a test can move.

pub mod flags;
pub mod quiet;

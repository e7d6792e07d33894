//! The wall clock the school's policies read (when quiet hours are): the system's, which a test
//! can move.

use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// The wall clock the school's policies read (when quiet hours are): the system's, moved by
/// [`Clock::set`] in tests ("it is 22:00 now") and nowhere else.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// From now on this clock reads `at` (and runs on from there).
    pub fn set(&self, at: OffsetDateTime) {
        let offset = (at - OffsetDateTime::now_utc()).whole_milliseconds();
        self.offset_ms.store(i64::try_from(offset).unwrap_or(0), Ordering::Relaxed);
    }
}

//! Per-user request rates: writes (messages, deletions, lesson completions; a guest's harder),
//! event-stream opens and reads of history and chat lists, each a token bucket per user (GCRA,
//! from `governor`), and new guests per inquiry link and per client address. A user past their rate gets
//! 429 with `Retry-After`, counted in `tutorchat_limited_requests_total`. The buckets live in
//! the replica's memory, so the limits hold per replica: behind N replicas a user may reach up
//! to N times the rate (nginx's per-address limits sit in front of all of them).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppError;
use crate::auth::Role;
use crate::config::RateConfig;

/// One kind of request that is rate-limited per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Write,
    /// A guest's write: a harder limit than a user's.
    GuestWrite,
    StreamOpen,
    /// A guest's event-stream open (keyed by their inquiry link: its guests share one bucket).
    GuestStreamOpen,
    /// A new guest through an inquiry link (keyed by the link).
    InquiryOpen,
    /// A read of history or a chat list: each may wait for a standby or hold a connection.
    Read,
}

impl Limited {
    fn label(self) -> &'static str {
        match self {
            Self::Write => "writes_per_user",
            Self::GuestWrite => "writes_per_guest",
            Self::StreamOpen => "stream_opens_per_user",
            Self::GuestStreamOpen => "stream_opens_per_link",
            Self::InquiryOpen => "inquiry_opens_per_link",
            Self::Read => "reads_per_user",
        }
    }

    /// The write limit for someone of `role`.
    pub fn write_by(role: Role) -> Self {
        if role == Role::Guest { Self::GuestWrite } else { Self::Write }
    }
}

pub struct Limits {
    writes: DefaultKeyedRateLimiter<i64>,
    guest_writes: DefaultKeyedRateLimiter<i64>,
    stream_opens: DefaultKeyedRateLimiter<i64>,
    inquiry_opens: DefaultKeyedRateLimiter<i64>,
    inquiry_opens_by_address: DefaultKeyedRateLimiter<IpAddr>,
    guest_stream_opens: DefaultKeyedRateLimiter<i64>,
    reads: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
    /// Searches and exports running now, per person (only those with one).
    costly: Arc<Mutex<HashMap<i64, u32>>>,
    costly_at_once: u32,
}

/// A search or export under way: one of its person's `RATE_COSTLY_READS_AT_ONCE`, given back
/// when dropped (an export keeps it until its last byte is sent).
pub struct Costly {
    running: Arc<Mutex<HashMap<i64, u32>>>,
    user: i64,
}

impl Drop for Costly {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = running.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                running.remove(&self.user);
            }
        }
    }
}

fn per_minute(count: u32) -> Quota {
    let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(count).allow_burst(count)
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Limits {
    pub fn new(config: &RateConfig) -> Self {
        Self {
            writes: RateLimiter::keyed(quota(config.writes_per_sec, config.writes_burst)),
            guest_writes: RateLimiter::keyed(per_minute(config.guest_writes_per_min)),
            stream_opens: RateLimiter::keyed(quota(config.stream_opens_per_sec, config.stream_opens_burst)),
            inquiry_opens: RateLimiter::keyed(per_minute(config.inquiry_opens_per_min)),
            inquiry_opens_by_address: RateLimiter::keyed(per_minute(config.inquiry_opens_per_address_per_min)),
            guest_stream_opens: RateLimiter::keyed(quota(config.stream_opens_per_sec, config.stream_opens_burst)),
            reads: RateLimiter::keyed(quota(config.reads_per_sec, config.reads_burst)),
            clock: DefaultClock::default(),
            costly: Arc::default(),
            costly_at_once: config.costly_reads_at_once.max(1),
        }
    }

    /// Takes one request of `kind` from `key`'s bucket (a user's; a link's for
    /// [`Limited::InquiryOpen`] and [`Limited::GuestStreamOpen`]), or answers 429 with when to
    /// retry.
    pub fn check(&self, kind: Limited, key: i64) -> Result<(), AppError> {
        let Err(not_until) = self.limiter(kind).check_key(&key) else {
            return Ok(());
        };
        let what = match kind {
            Limited::Write => "writes (RATE_WRITES_PER_SEC)",
            Limited::GuestWrite => "writes for a guest (RATE_GUEST_WRITES_PER_MIN)",
            Limited::StreamOpen => "event-stream opens (RATE_STREAM_OPENS_PER_SEC)",
            Limited::GuestStreamOpen => {
                "event-stream opens by the guests of this inquiry link (RATE_STREAM_OPENS_PER_SEC)"
            }
            Limited::InquiryOpen => "new guests through this inquiry link (RATE_INQUIRY_OPENS_PER_MIN)",
            Limited::Read => "reads of history and chat lists (RATE_READS_PER_SEC)",
        };
        Err(self.refuse(kind.label(), what, not_until))
    }

    /// Takes one request of `kind` from `key`'s bucket as [`Limits::check`] does, for work
    /// done on someone's behalf rather than asked for now (a scheduled message sent at its
    /// time): `None` if taken, else how long until one is there. Nobody is answered 429, so
    /// nothing is counted as limited.
    pub fn charge(&self, kind: Limited, key: i64) -> Option<Duration> {
        self.limiter(kind).check_key(&key).err().map(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn limiter(&self, kind: Limited) -> &DefaultKeyedRateLimiter<i64> {
        match kind {
            Limited::Write => &self.writes,
            Limited::GuestWrite => &self.guest_writes,
            Limited::StreamOpen => &self.stream_opens,
            Limited::GuestStreamOpen => &self.guest_stream_opens,
            Limited::InquiryOpen => &self.inquiry_opens,
            Limited::Read => &self.reads,
        }
    }

    /// One of `user`'s searches and exports at once, or 429 when they have all of theirs running:
    /// each holds a database connection (an export, until its download ends), so one person
    /// can never take the pool from everyone else.
    pub fn costly(&self, user: i64) -> Result<Costly, AppError> {
        let mut running = self.costly.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = running.entry(user).or_insert(0);
        if *n >= self.costly_at_once {
            metrics::counter!(crate::metrics::LIMITED, "limit" => "costly_reads_at_once").increment(1);
            return Err(AppError::TooManyRequests {
                message: format!(
                    "too many searches and exports at once ({} running; RATE_COSTLY_READS_AT_ONCE): retry when one ends",
                    self.costly_at_once
                ),
                retry_after: Duration::from_secs(1),
            });
        }
        *n += 1;
        Ok(Costly { running: Arc::clone(&self.costly), user })
    }

    /// Takes one new guest from the client address's bucket, or answers 429.
    pub fn check_inquiry_address(&self, address: IpAddr) -> Result<(), AppError> {
        let Err(not_until) = self.inquiry_opens_by_address.check_key(&address) else {
            return Ok(());
        };
        let what = "new guests from your address (RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN)";
        Err(self.refuse("inquiry_opens_per_address", what, not_until))
    }

    fn refuse(
        &self,
        label: &'static str,
        what: &str,
        not_until: governor::NotUntil<<DefaultClock as Clock>::Instant>,
    ) -> AppError {
        metrics::counter!(crate::metrics::LIMITED, "limit" => label).increment(1);
        let wait = not_until.wait_time_from(self.clock.now());
        AppError::TooManyRequests {
            message: format!("too many {what}; retry in {} ms", wait.as_millis().max(1)),
            retry_after: wait.max(Duration::from_secs(1)),
        }
    }

    /// Forgets users whose buckets are full again, so memory follows the active users.
    pub fn forget_idle(&self) {
        self.writes.retain_recent();
        self.guest_writes.retain_recent();
        self.stream_opens.retain_recent();
        self.inquiry_opens.retain_recent();
        self.inquiry_opens_by_address.retain_recent();
        self.guest_stream_opens.retain_recent();
        self.reads.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_runs_at_most_their_costly_reads_at_once_and_each_end_frees_one() {
        let limits = Limits::new(&RateConfig { costly_reads_at_once: 2, ..RateConfig::unlimited() });
        let (first, _second) = (limits.costly(1).expect("one"), limits.costly(1).expect("two"));
        let refused = limits.costly(1).err().expect("a third is refused");
        assert!(matches!(refused, AppError::TooManyRequests { .. }), "{refused:?}");
        let _someone_else = limits.costly(2).expect("another person is not counted with them");
        drop(first);
        let _third = limits.costly(1).expect("an ended one frees its place");
        assert!(limits.costly(1).is_err());
    }

    #[test]
    fn nobody_with_nothing_running_is_kept() {
        let limits = Limits::new(&RateConfig::unlimited());
        drop(limits.costly(7).expect("one"));
        assert!(limits.costly.lock().expect("lock").is_empty());
    }
}

//! Per-user request rates: writes (messages, deletions, lesson completions; a guest's harder),
//! event-stream opens and reads of history and chat lists, each a token bucket per user (GCRA,
//! from `governor`), and new guests per inquiry link and per client address. A user past their rate gets
//! 429 with `Retry-After`, counted in `tutorchat_limited_requests_total`. The buckets live in
//! the replica's memory, so the limits hold per replica: behind N replicas a user may reach up
//! to N times the rate (nginx's per-address limits sit in front of all of them).

use std::net::IpAddr;
use std::num::NonZeroU32;
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
        }
    }

    /// Takes one request of `kind` from `key`'s bucket (a user's; a link's for
    /// [`Limited::InquiryOpen`] and [`Limited::GuestStreamOpen`]), or answers 429 with when to
    /// retry.
    pub fn check(&self, kind: Limited, key: i64) -> Result<(), AppError> {
        let limiter = match kind {
            Limited::Write => &self.writes,
            Limited::GuestWrite => &self.guest_writes,
            Limited::StreamOpen => &self.stream_opens,
            Limited::GuestStreamOpen => &self.guest_stream_opens,
            Limited::InquiryOpen => &self.inquiry_opens,
            Limited::Read => &self.reads,
        };
        let Err(not_until) = limiter.check_key(&key) else {
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

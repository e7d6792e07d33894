//! Notifications to offline users, through the school's webhook (`src/notify.rs`) and Web Push
//! (`src/push/`, configured in `push.rs`).

use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Secret, Var, defaults};

const NOTIFY_WEBHOOK_URL: Var = Var {
    name: "NOTIFY_WEBHOOK_URL",
    default: Fallback::Unset("unset: none are recorded or sent"),
    meaning: "where offline notifications are POSTed (docs/api.md): https://, or http:// to loopback only; redirects are not followed; set it on every replica alike",
};
const NOTIFY_WEBHOOK_SECRET: Var = Var {
    name: "NOTIFY_WEBHOOK_SECRET",
    default: Fallback::Computed("required with the URL"),
    meaning: "the signing key: `whsec_` + base64 (Standard Webhooks' form) or at least 24 raw bytes",
};
const NOTIFY_GRACE_SECS: Var = Var {
    name: "NOTIFY_GRACE_SECS",
    default: Fallback::Value("30"),
    meaning: "how long a user must stay offline after a message before they are notified (a quick reconnect is not)",
};
const NOTIFY_QUIET_SECS: Var = Var {
    name: "NOTIFY_QUIET_SECS",
    default: Fallback::Value("600"),
    meaning: "after a notice about a chat, the next to the same user waits this long; messages meanwhile are folded into its `count`",
};
const NOTIFY_LEASE_SECS: Var = Var {
    name: "NOTIFY_LEASE_SECS",
    default: Fallback::Value("60"),
    meaning: "how long a replica holds a notice it is delivering before another may send it again (the webhook gets half of it to answer); at least 2",
};
const NOTIFY_RETRY_BASE_MS: Var = Var {
    name: "NOTIFY_RETRY_BASE_MS",
    default: Fallback::Value("5000"),
    meaning: "the first retry's delay after a failed delivery; each next one doubles, up to an hour apart",
};
const NOTIFY_RETRY_FOR_SECS: Var = Var {
    name: "NOTIFY_RETRY_FOR_SECS",
    default: Fallback::Value("86400"),
    meaning: "a notice still failing this long after its message is given up (`failed`)",
};
const NOTIFY_KEEP_SECS: Var = Var {
    name: "NOTIFY_KEEP_SECS",
    default: Fallback::Value("2592000"),
    meaning: "settled notices (delivered, failed, cancelled) are deleted this long (30 days) after they settled; at least `NOTIFY_QUIET_SECS`",
};

pub(super) const VARS: &[Var] = &[
    NOTIFY_WEBHOOK_URL,
    NOTIFY_WEBHOOK_SECRET,
    NOTIFY_GRACE_SECS,
    NOTIFY_QUIET_SECS,
    NOTIFY_LEASE_SECS,
    NOTIFY_RETRY_BASE_MS,
    NOTIFY_RETRY_FOR_SECS,
    NOTIFY_KEEP_SECS,
];

#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `None`: no notices are recorded or sent.
    pub webhook: Option<Webhook>,
    /// How long a user must stay offline after a message before they are notified.
    pub grace: Duration,
    /// After a notice about a chat, the next one to the same user waits this long (what comes
    /// meanwhile is folded into its count).
    pub quiet: Duration,
    /// How long a replica holds a claimed notice before another may send it again.
    pub lease: Duration,
    /// The first retry's delay; each next one doubles it (up to an hour).
    pub retry_base: Duration,
    /// A notice still failing this long after its message is given up (`failed`).
    pub retry_for: Duration,
    /// Settled notices (delivered, failed, cancelled) are deleted this long after they settled;
    /// never less than `quiet`, which reads the latest delivered one.
    pub keep: Duration,
    /// Web Push to the browsers people subscribed (next to the webhook or instead of it).
    pub push: super::PushConfig,
    /// Email to people who never open the app.
    pub email: super::EmailConfig,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    /// The HMAC-SHA256 key (a `whsec_…` secret is base64-decoded, as Standard Webhooks does).
    pub secret: Secret,
}

impl NotifyConfig {
    /// Whether notices are recorded at all: a webhook, Web Push or email is configured.
    pub fn enabled(&self) -> bool {
        self.webhook.is_some() || self.push.vapid.is_some() || self.email.smtp.is_some()
    }

    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let notify = Self {
            webhook: webhook(env)?,
            grace: env.secs(&NOTIFY_GRACE_SECS)?,
            quiet: env.secs(&NOTIFY_QUIET_SECS)?,
            lease: env.secs(&NOTIFY_LEASE_SECS)?,
            retry_base: env.millis(&NOTIFY_RETRY_BASE_MS)?,
            retry_for: env.secs(&NOTIFY_RETRY_FOR_SECS)?,
            keep: env.secs(&NOTIFY_KEEP_SECS)?,
            push: super::PushConfig::from_env(env)?,
            email: super::EmailConfig::from_env(env)?,
        };
        if notify.lease < Duration::from_secs(2) {
            return Err(ConfigError::new(NOTIFY_LEASE_SECS.name, "must be at least 2 seconds"));
        }
        if notify.retry_base < Duration::from_millis(10) {
            return Err(ConfigError::new(NOTIFY_RETRY_BASE_MS.name, "must be at least 10 milliseconds"));
        }
        if notify.keep < notify.quiet {
            return Err(ConfigError::new(
                NOTIFY_KEEP_SECS.name,
                format!(
                    "must be at least NOTIFY_QUIET_SECS ({} s): the quiet period reads the latest delivered notice",
                    notify.quiet.as_secs()
                ),
            ));
        }
        Ok(notify)
    }
}

impl Default for NotifyConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

fn webhook(env: &Env) -> Result<Option<Webhook>, ConfigError> {
    let Some(url) = env.get(&NOTIFY_WEBHOOK_URL) else { return Ok(None) };
    let parsed =
        url::Url::parse(url).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()).ok_or_else(
            || ConfigError::new(NOTIFY_WEBHOOK_URL.name, format!("{url:?} is not an http:// or https:// URL")),
        )?;
    // A notice names people and quotes their messages: over plain HTTP only to this machine.
    let loopback = super::env::is_loopback(&parsed);
    if parsed.scheme() == "http" && !loopback {
        return Err(ConfigError::new(
            NOTIFY_WEBHOOK_URL.name,
            format!("{url:?} is plain http:// beyond this machine: use https:// (http:// is for loopback only)"),
        ));
    }
    let Some(secret) = env.get(&NOTIFY_WEBHOOK_SECRET) else {
        return Err(ConfigError::new(
            NOTIFY_WEBHOOK_SECRET.name,
            "is not set; notices are signed with it (at least 24 bytes, or whsec_ and base64)",
        ));
    };
    Ok(Some(Webhook { url: url.to_owned(), secret: webhook_secret(secret)? }))
}

/// A webhook signing secret: `whsec_<base64>` (Standard Webhooks' form) or the raw bytes.
pub fn webhook_secret(value: &str) -> Result<Secret, ConfigError> {
    use base64::Engine;
    let bytes = match value.strip_prefix("whsec_") {
        Some(encoded) => base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| {
            ConfigError::new(NOTIFY_WEBHOOK_SECRET.name, "starts with whsec_ but the rest is not base64")
        })?,
        None => value.as_bytes().to_vec(),
    };
    if bytes.len() < 24 {
        return Err(ConfigError::new(
            NOTIFY_WEBHOOK_SECRET.name,
            format!("must be at least 24 bytes long (got {})", bytes.len()),
        ));
    }
    Ok(Secret::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_is_https_or_plain_http_to_loopback_only() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let hook = |url: &str| {
            webhook(&Env::of(&[("NOTIFY_WEBHOOK_URL", url), ("NOTIFY_WEBHOOK_SECRET", secret)]))
                .map(|w| w.is_some())
                .map_err(|e| e.to_string())
        };
        for accepted in ["https://school.example/hooks/chat", "http://127.0.0.1:9000/hook", "http://localhost/hook"] {
            assert_eq!(hook(accepted), Ok(true), "{accepted}");
        }
        for refused in ["http://school.example/hook", "http://10.1.2.3/hook", "ftp://school.example/x", "https://"] {
            let error = hook(refused).expect_err(refused);
            assert!(error.starts_with("NOTIFY_WEBHOOK_URL"), "{refused}: {error}");
        }
    }
}

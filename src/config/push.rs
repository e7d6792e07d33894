//! Web Push to closed tabs (`src/push/`): the school's VAPID key and which push services a
//! browser's subscription may point to.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::env::{ConfigError, Env, Fallback, Secret, Var, defaults};

const PUSH_VAPID_PRIVATE_KEY: Var = Var {
    name: "PUSH_VAPID_PRIVATE_KEY",
    default: Fallback::Unset("unset: no Web Push"),
    meaning: "the school's VAPID key: a P-256 private key, 32 bytes in base64url (`tutorchat vapid-keys` prints a new one); the same on every replica",
};
const PUSH_VAPID_SUBJECT: Var = Var {
    name: "PUSH_VAPID_SUBJECT",
    default: Fallback::Computed("required with the key"),
    meaning: "how a push service reaches the school: a `mailto:` or `https:` URL",
};
const PUSH_TTL_SECS: Var = Var {
    name: "PUSH_TTL_SECS",
    default: Fallback::Value("86400"),
    meaning: "how long a push service keeps a notification for a device that is offline (its `TTL` header)",
};
const PUSH_SERVICES: Var = Var {
    name: "PUSH_SERVICES",
    default: Fallback::Value(DEFAULT_SERVICES),
    meaning: "the push services a subscription may point to (comma-separated): `host` or `*.domain` (https), or an exact `http(s)://host:port` origin",
};

const PUSH_PREVIEW: Var = Var {
    name: "PUSH_PREVIEW",
    default: Fallback::Value("sender"),
    meaning: "what a push notification shows on a locked or shared screen: `sender` (who wrote, or the group's title, without the text), `full` (also the text's first 100 characters) or `off` (only that there is a new message)",
};

const DEFAULT_SERVICES: &str = "fcm.googleapis.com,jmt17.google.com,updates.push.services.mozilla.com,*.push.services.mozilla.com,*.notify.windows.com,web.push.apple.com,*.push.apple.com";

pub(super) const VARS: &[Var] =
    &[PUSH_VAPID_PRIVATE_KEY, PUSH_VAPID_SUBJECT, PUSH_TTL_SECS, PUSH_SERVICES, PUSH_PREVIEW];

#[derive(Debug, Clone)]
pub struct PushConfig {
    /// `None`: Web Push is off (no key).
    pub vapid: Option<Vapid>,
    pub ttl: Duration,
    pub services: Vec<PushService>,
    pub preview: PushPreview,
}

/// What a push shows (`PUSH_PREVIEW`): children's messages appear on lock screens and on
/// devices a family shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushPreview {
    /// Only that there is a new message.
    Off,
    /// Who wrote it (or the group's title), not what.
    Sender,
    /// Who wrote it and the text's first 100 characters.
    Full,
}

#[derive(Debug, Clone)]
pub struct Vapid {
    /// The P-256 private scalar (32 bytes).
    pub private_key: Secret,
    /// Its public point, uncompressed (65 bytes), in base64url: what browsers subscribe with.
    pub public_key: String,
    pub subject: String,
}

/// A push service a subscription's endpoint may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushService {
    /// This https host.
    Host(String),
    /// Any https host under this domain (`*.domain`).
    Domain(String),
    /// This exact origin (`http://127.0.0.1:8080`): a local or test push service.
    Origin(String),
}

impl PushService {
    /// Whether `endpoint` (a parsed URL) is at this service: a host's (or a domain's) on https's
    /// own port, an origin's exactly.
    pub fn admits(&self, endpoint: &url::Url) -> bool {
        let host = endpoint.host_str().unwrap_or_default().to_ascii_lowercase();
        let https = endpoint.scheme() == "https" && endpoint.port().is_none();
        match self {
            Self::Host(h) => https && host == *h,
            Self::Domain(d) => https && host.ends_with(&format!(".{d}")),
            Self::Origin(o) => endpoint.origin().ascii_serialization() == *o,
        }
    }

    fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.contains("://") {
            let url = url::Url::parse(&entry).map_err(|e| format!("{entry:?} is not an origin: {e}"))?;
            let origin = url.origin().ascii_serialization();
            if !matches!(url.scheme(), "http" | "https") || url.path() != "/" || origin == "null" {
                return Err(format!("{entry:?} is not an http(s) origin (scheme, host and port only)"));
            }
            return Ok(Self::Origin(origin));
        }
        let (domain, name) = match entry.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, entry.as_str()),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            return Err(format!("{entry:?} is not a host name, `*.domain` or an origin"));
        }
        Ok(if domain { Self::Domain(name.to_owned()) } else { Self::Host(name.to_owned()) })
    }
}

impl PushConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let services = env
            .get(&PUSH_SERVICES)
            .unwrap_or(DEFAULT_SERVICES)
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(PushService::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::new(PUSH_SERVICES.name, e))?;
        let preview = match env.get(&PUSH_PREVIEW).unwrap_or("sender").trim() {
            "off" => PushPreview::Off,
            "sender" => PushPreview::Sender,
            "full" => PushPreview::Full,
            other => {
                return Err(ConfigError::new(PUSH_PREVIEW.name, format!("is {other:?}; it is off, sender or full")));
            }
        };
        Ok(Self { vapid: vapid(env)?, ttl: env.secs(&PUSH_TTL_SECS)?, services, preview })
    }
}

impl Default for PushConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

fn vapid(env: &Env) -> Result<Option<Vapid>, ConfigError> {
    let Some(key) = env.get(&PUSH_VAPID_PRIVATE_KEY) else {
        if env.is_set(&PUSH_VAPID_SUBJECT) {
            return Err(ConfigError::new(PUSH_VAPID_PRIVATE_KEY.name, "is not set, but PUSH_VAPID_SUBJECT is"));
        }
        return Ok(None);
    };
    let (private_key, public_key) = vapid_key(key).map_err(|e| ConfigError::new(PUSH_VAPID_PRIVATE_KEY.name, e))?;
    let Some(subject) = env.get(&PUSH_VAPID_SUBJECT) else {
        return Err(ConfigError::new(
            PUSH_VAPID_SUBJECT.name,
            "is not set; push services require a contact (mailto:… or https://…)",
        ));
    };
    if !(subject.starts_with("mailto:") || subject.starts_with("https://")) || subject.len() < 10 {
        return Err(ConfigError::new(PUSH_VAPID_SUBJECT.name, format!("{subject:?} is not a mailto: or https: URL")));
    }
    Ok(Some(Vapid { private_key, public_key, subject: subject.to_owned() }))
}

/// A VAPID private key (32 bytes, base64url with or without padding) and its public key.
pub fn vapid_key(text: &str) -> Result<(Secret, String), String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| "is not base64url (the 32 bytes `tutorchat vapid-keys` prints)".to_owned())?;
    let key = p256::SecretKey::from_slice(&bytes)
        .map_err(|_| format!("is not a P-256 private key (32 bytes, got {})", bytes.len()))?;
    let public = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
    Ok((Secret::new(bytes), URL_SAFE_NO_PAD.encode(public.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_admit_their_own_endpoints_only() {
        let services: Vec<PushService> =
            DEFAULT_SERVICES.split(',').map(|s| PushService::parse(s).expect("a valid test value")).collect();
        let admitted =
            |url: &str| services.iter().any(|s| s.admits(&url::Url::parse(url).expect("a valid test value")));
        assert!(admitted("https://fcm.googleapis.com/fcm/send/abc"));
        assert!(admitted("https://jmt17.google.com/fcm/send/abc"), "Chromium's, as Debian builds it");
        assert!(admitted("https://wns2-par02p.notify.windows.com/w/?token=x"));
        assert!(admitted("https://web.push.apple.com/QO3"));
        assert!(!admitted("http://fcm.googleapis.com/fcm/send/abc"), "https only");
        assert!(!admitted("https://fcm.googleapis.com.evil.example/x"));
        assert!(!admitted("https://notify.windows.com.evil.example/x"));
        assert!(!admitted("https://169.254.169.254/latest/meta-data"));
        assert!(!admitted("https://fcm.googleapis.com:8443/fcm/send/abc"), "the service's own port only");
        assert!(!admitted("https://updates.push.services.mozilla.com:22/x"));
        assert!(admitted("https://fcm.googleapis.com:443/fcm/send/abc"), "443 is https's own");
        let local = PushService::parse("http://127.0.0.1:8099").expect("a valid test value");
        assert!(local.admits(&url::Url::parse("http://127.0.0.1:8099/push/1").expect("a valid test value")));
        assert!(!local.admits(&url::Url::parse("http://127.0.0.1:8098/push/1").expect("a valid test value")));
        for bad in ["http://x/path", "ftp://x", "*.", "a b", "x/y"] {
            assert!(PushService::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_vapid_key_gives_its_public_key_and_bad_ones_say_why() {
        // The public key as Python's `cryptography` derives it from the same private key.
        let (secret, public) = vapid_key("IQ9Ur0ykXoHS9gzfYX0aBjy9lvdrjx_PFUXmie9YRcY").expect("a valid test value");
        assert_eq!(secret.expose().len(), 32);
        assert_eq!(public, "BMjQIp55pdbU8pfCBKyXcZjlmER_mXt5LqNrN1hrXbdBS5EnhIbMu3Au-RV53iIpztzNXkGI56BFB1udQ8Bq_H4");
        assert_eq!(
            vapid_key("IQ9Ur0ykXoHS9gzfYX0aBjy9lvdrjx_PFUXmie9YRcY=").expect("a valid test value").1,
            public,
            "padding is fine"
        );
        assert!(vapid_key("not base64!").expect_err("an invalid test value").contains("base64url"));
        assert!(vapid_key("AAAA").expect_err("an invalid test value").contains("32 bytes"));
    }
}

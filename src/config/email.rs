//! Email to people who never open the app (`src/outbox/email.rs`): the school's SMTP server,
//! whom it writes to by default, how long it waits, and when the daily digest goes.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use time::Time;

use super::env::{ConfigError, Env, Fallback, Secret, Var, defaults};

const SMTP_URL: Var = Var {
    name: "SMTP_URL",
    default: Fallback::Unset("unset: no email"),
    meaning: "the school's mail server: `smtps://user:password@host:465` (TLS), `smtp://user:password@host:587?tls=required` (STARTTLS), or `smtp://localhost:25` (plain: a relay on loopback only, any other host is refused)",
};
const SMTP_CA_FILE: Var = Var {
    name: "SMTP_CA_FILE",
    default: Fallback::Unset("the public authorities only"),
    meaning: "a PEM file of the certificate authorities the mail server's certificate may also chain to (a school's own relay), for an `smtps://` or `?tls=required` `SMTP_URL`; the certificate must still name the URL's host",
};
const SMTP_FROM: Var = Var {
    name: "SMTP_FROM",
    default: Fallback::Computed("required with SMTP_URL"),
    meaning: "who the emails are from, e.g. `Школа <chat@school.example>`; its name is every school's default, whose admins may set their own (`PATCH /api/school/settings`: the name only, the address stays this one)",
};
const NOTIFY_EMAIL: Var = Var {
    name: "NOTIFY_EMAIL",
    default: Fallback::Value("none"),
    meaning: "the school's default, which each person may change: `instant` (an email per direct message or announcement), `digest` (one a day), `none`; or per role, e.g. `guardian=instant,teacher=digest,student=none` (a role not named: none); the default of every school, whose admins may set their own (`PATCH /api/school/settings`)",
};
const NOTIFY_EMAIL_AFTER_SECS: Var = Var {
    name: "NOTIFY_EMAIL_AFTER_SECS",
    default: Fallback::Value("900"),
    meaning: "an instant email goes once the person has been this long without the app open since the message, unread (nobody with a browser subscribed to Web Push gets one)",
};
const NOTIFY_EMAIL_DIGEST_AT: Var = Var {
    name: "NOTIFY_EMAIL_DIGEST_AT",
    default: Fallback::Value("18:00"),
    meaning: "when the daily digest goes, `HH:MM` on the school's clock (its own time zone, or `SCHOOL_TIMEZONE`); inside quiet hours it waits until they end",
};

const SCHOOL_LANGUAGE: Var = Var {
    name: "SCHOOL_LANGUAGE",
    default: Fallback::Value("ru"),
    meaning: "the language the school writes its emails in to whoever has not chosen one: `ru` or `en` (a person's own choice, the web app's RU/EN switch, wins); the default of every school, whose admins may set their own (`PATCH /api/school/settings`)",
};

pub(super) const VARS: &[Var] = &[
    SMTP_URL,
    SMTP_CA_FILE,
    SMTP_FROM,
    NOTIFY_EMAIL,
    NOTIFY_EMAIL_AFTER_SECS,
    NOTIFY_EMAIL_DIGEST_AT,
    SCHOOL_LANGUAGE,
];

/// The language a person reads: theirs (`users.language`, set by the web app's switch), else
/// the school's (`SCHOOL_LANGUAGE`). An email is written in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Ru,
    En,
}

crate::db::text_column!(Language { Ru => "ru", En => "en" });

/// How a person hears by email of what they have not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailChoice {
    /// An email for each direct message, family chat message or announcement left unread.
    Instant,
    /// One email a day listing the chats with unread messages.
    Digest,
    None,
}

crate::db::text_column!(EmailChoice { Instant => "instant", Digest => "digest", None => "none" });

/// The school's default per role (`NOTIFY_EMAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailDefaults {
    pub student: EmailChoice,
    pub teacher: EmailChoice,
    pub guardian: EmailChoice,
}

impl EmailDefaults {
    /// `instant`, or `guardian=instant,teacher=digest` (roles not named: none).
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(all) = text.trim().parse() {
            return Some(Self { student: all, teacher: all, guardian: all });
        }
        let mut defaults = Self { student: EmailChoice::None, teacher: EmailChoice::None, guardian: EmailChoice::None };
        for entry in text.split(',') {
            let (role, choice) = entry.split_once('=')?;
            let choice = choice.trim().parse().ok()?;
            match role.trim() {
                "student" => defaults.student = choice,
                "teacher" => defaults.teacher = choice,
                "guardian" => defaults.guardian = choice,
                _ => return None,
            }
        }
        Some(defaults)
    }

    /// As [`Self::parse`] reads it: one choice for all, or each role's.
    pub fn text(&self) -> String {
        let Self { student, teacher, guardian } = *self;
        if student == teacher && teacher == guardian {
            return student.as_str().to_owned();
        }
        format!("student={},teacher={},guardian={}", student.as_str(), teacher.as_str(), guardian.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Smtp {
    /// As `SMTP_URL` gives it (it may hold a password).
    pub url: Secret,
    pub from: Mailbox,
    /// The chat's address, for the links in the emails (`PUBLIC_URL`).
    pub public_url: url::Url,
    /// The URL's TLS, trusting `SMTP_CA_FILE`'s authorities besides the public ones (`None`: as
    /// the URL says, the public authorities only).
    pub tls: Option<Tls>,
}

impl Smtp {
    /// The school's mail server at `url` (`SMTP_URL`), its certificate checked against the
    /// public authorities and, with `ca_file` (`SMTP_CA_FILE`), the PEM authorities in it too.
    pub fn new(url: &str, from: Mailbox, public_url: url::Url, ca_file: Option<&str>) -> Result<Self, ConfigError> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            ConfigError::new(SMTP_URL.name, format!("is not an smtp:// or smtps:// URL lettre accepts ({e})"))
        })?;
        encrypted_beyond_loopback(url)?;
        let tls = ca_file.map(|path| tls(url, path)).transpose()?;
        Ok(Self { url: Secret::new(url.as_bytes()), from, public_url, tls })
    }

    /// The mail server's transport, each command given `timeout`.
    pub fn transport(
        &self,
        timeout: Duration,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        let url = String::from_utf8_lossy(self.url.expose());
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)?.timeout(Some(timeout));
        if let Some(tls) = &self.tls {
            builder = builder.tls(tls.clone());
        }
        Ok(builder.build())
    }
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `None`: no email.
    pub smtp: Option<Smtp>,
    pub defaults: EmailDefaults,
    pub after: Duration,
    /// On the school's clock (its time zone: `crate::school::Settings::time_zone`).
    pub digest_at: Time,
    /// Whoever has not chosen a language is written to in this one (`SCHOOL_LANGUAGE`).
    pub language: Language,
}

impl EmailConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let text = env.text(&NOTIFY_EMAIL).unwrap_or("none");
        let defaults = EmailDefaults::parse(text).ok_or_else(|| {
            ConfigError::new(NOTIFY_EMAIL.name, format!("{text:?} is not instant, digest, none or role=choice,…"))
        })?;
        let digest = env.text(&NOTIFY_EMAIL_DIGEST_AT).unwrap_or("18:00");
        let digest_at = clock(digest)
            .ok_or_else(|| ConfigError::new(NOTIFY_EMAIL_DIGEST_AT.name, format!("{digest:?} is not HH:MM")))?;
        let language = env.text(&SCHOOL_LANGUAGE).unwrap_or("ru");
        let language = language
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(SCHOOL_LANGUAGE.name, format!("{language:?} is not ru or en")))?;
        Ok(Self { smtp: smtp(env)?, defaults, after: env.secs(&NOTIFY_EMAIL_AFTER_SECS)?, digest_at, language })
    }
}

impl Default for EmailConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

/// `HH:MM` as a time of day.
fn clock(text: &str) -> Option<Time> {
    let (h, m) = text.trim().split_once(':')?;
    (h.len() <= 2 && m.len() == 2).then_some(())?;
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

fn smtp(env: &Env) -> Result<Option<Smtp>, ConfigError> {
    let Some(url) = env.get(&SMTP_URL).map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
    let Some(from) = env.get(&SMTP_FROM) else {
        return Err(ConfigError::new(SMTP_FROM.name, "is not set; the emails need a sender, e.g. chat@school.example"));
    };
    let from = from
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| ConfigError::new(SMTP_FROM.name, format!("{from:?} is not an email address ({e})")))?;
    let Some(public) = env.get(&super::oidc::PUBLIC_URL) else {
        return Err(ConfigError::new(
            super::oidc::PUBLIC_URL.name,
            "is not set; emails (SMTP_URL) link to the chat's public address, e.g. https://chat.school.example",
        ));
    };
    let public_url = url::Url::parse(public.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.path() == "/")
        .ok_or_else(|| ConfigError::new(super::oidc::PUBLIC_URL.name, format!("{public:?} is not an origin")))?;
    let ca_file = env.get(&SMTP_CA_FILE).map(str::trim).filter(|p| !p.is_empty());
    Smtp::new(url, from, public_url, ca_file).map(Some)
}

/// Refuses an `SMTP_URL` that would send children's emails, and any password, unencrypted
/// beyond this machine: `smtp://` without `?tls=required` (plain, or STARTTLS only if offered,
/// which whoever is in between can refuse) is for a relay on loopback only.
fn encrypted_beyond_loopback(url: &str) -> Result<(), ConfigError> {
    let parsed = url::Url::parse(url).map_err(|e| ConfigError::new(SMTP_URL.name, e.to_string()))?;
    let required = parsed.query_pairs().any(|(k, v)| k == "tls" && v == "required");
    let loopback = super::env::is_loopback(&parsed);
    if parsed.scheme() == "smtp" && !required && !loopback {
        return Err(ConfigError::new(
            SMTP_URL.name,
            "sends unencrypted beyond this machine: use smtps://…:465 or smtp://…:587?tls=required (plain smtp:// is for a relay on loopback only)",
        ));
    }
    Ok(())
}

/// `url`'s TLS (lettre accepted it) with the authorities of the PEM file at `path` added.
fn tls(url: &str, path: &str) -> Result<Tls, ConfigError> {
    let error = |why: String| ConfigError::new(SMTP_CA_FILE.name, why);
    let url = url::Url::parse(url).map_err(|e| ConfigError::new(SMTP_URL.name, e.to_string()))?;
    let mode = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let tls: fn(TlsParameters) -> Tls = match (url.scheme(), mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper,
        ("smtp", Some("required")) => Tls::Required,
        ("smtp", Some("opportunistic")) => Tls::Opportunistic,
        _ => return Err(error("is set, but SMTP_URL asks for no TLS (smtps://…, or smtp://…?tls=required)".into())),
    };
    let pem = std::fs::read(path).map_err(|e| error(format!("cannot read {path}: {e}")))?;
    let ca = Certificate::from_pem(&pem)
        .ok()
        .filter(|_| pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"))
        .ok_or_else(|| error(format!("{path} holds no PEM certificate")))?;
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_owned();
    let parameters =
        TlsParameters::builder(host).add_root_certificate(ca).build().map_err(|e| error(format!("{path}: {e}")))?;
    Ok(tls(parameters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_for_all_or_per_role() {
        let all = EmailDefaults::parse("digest").expect("one for all");
        assert_eq!(
            (all.student, all.teacher, all.guardian),
            (EmailChoice::Digest, EmailChoice::Digest, EmailChoice::Digest)
        );
        let some = EmailDefaults::parse("guardian=instant, teacher=digest").expect("per role");
        assert_eq!(
            (some.student, some.teacher, some.guardian),
            (EmailChoice::None, EmailChoice::Digest, EmailChoice::Instant)
        );
        assert!(EmailDefaults::parse("parent=instant").is_none());
        assert!(EmailDefaults::parse("sometimes").is_none());
    }

    #[test]
    fn plain_smtp_is_refused_beyond_loopback_credentials_or_not() {
        let from: Mailbox = "chat@school.test".parse().expect("a mailbox");
        let public: url::Url = "https://chat.school.test".parse().expect("a URL");
        let smtp =
            |url: &str| Smtp::new(url, from.clone(), public.clone(), None).map(|_| ()).map_err(|e| e.to_string());
        for refused in [
            "smtp://schooluser:S3cretPw@mail.example.com:25",
            "smtp://mail.example.com:25",
            "smtp://user:pw@mail.example.com:587?tls=opportunistic",
            "smtp://10.0.0.5:25",
        ] {
            let error = smtp(refused).expect_err(refused);
            assert!(error.starts_with("SMTP_URL") && error.contains("unencrypted"), "{refused}: {error}");
            assert!(!error.contains("S3cretPw"), "the password stays out of the error: {error}");
        }
        for accepted in [
            "smtp://user:pw@mail.example.com:587?tls=required",
            "smtps://user:pw@mail.example.com:465",
            "smtp://127.0.0.1:2525",
            "smtp://localhost:25",
            "smtp://[::1]:25",
        ] {
            assert_eq!(smtp(accepted), Ok(()), "{accepted}");
        }
    }

    #[test]
    fn an_smtp_ca_file_must_be_a_readable_pem() {
        let smtp = |ca: &str| {
            let env = Env::of(&[
                ("SMTP_URL", "smtp://mail.school.test?tls=required"),
                ("SMTP_FROM", "chat@school.test"),
                ("PUBLIC_URL", "https://chat.school.test"),
                ("SMTP_CA_FILE", ca),
            ]);
            smtp(&env).map(|_| ()).map_err(|e| e.to_string())
        };
        let missing = smtp("/nonexistent/ca.pem").expect_err("no such file");
        assert!(missing.starts_with("SMTP_CA_FILE") && missing.contains("cannot read"), "{missing}");
        let not_pem = std::env::temp_dir().join(format!("tutorchat-not-a-ca-{}.pem", std::process::id()));
        std::fs::write(&not_pem, "not a certificate").expect("write");
        let refused = smtp(not_pem.to_str().expect("a UTF-8 path")).expect_err("not PEM");
        std::fs::remove_file(&not_pem).ok();
        assert!(refused.starts_with("SMTP_CA_FILE") && refused.contains("no PEM certificate"), "{refused}");
        let env = Env::of(&[
            ("SMTP_URL", "smtp://localhost:25"),
            ("SMTP_FROM", "chat@school.test"),
            ("PUBLIC_URL", "https://chat.school.test"),
            ("SMTP_CA_FILE", "/etc/ssl/certs/ca-certificates.crt"),
        ]);
        let plain = super::smtp(&env).map(|_| ()).expect_err("no TLS to trust it for").to_string();
        assert!(plain.starts_with("SMTP_CA_FILE") && plain.contains("asks for no TLS"), "{plain}");
    }
}

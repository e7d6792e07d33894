//! Reading variables: [`Var`] declares one (its name, its default as an operator reads it, and
//! what it means), [`Env`] reads it. A group's parser reads every field through its `Var`, and
//! an unset variable falls back to the `Var`'s own default text, so each default is written
//! once, in the declaration that also documents it (`tutorchat config-doc` prints them all).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One environment variable.
#[derive(Debug, Clone, Copy)]
pub struct Var {
    pub name: &'static str,
    /// The default: a value [`Env`] parses when the variable is unset, or, for a default that is
    /// found rather than fixed (`Computed`), how it is found.
    pub default: Fallback,
    /// What it means, for docs/configuration.md (Markdown, one line).
    pub meaning: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub enum Fallback {
    /// Parsed like a value that was set.
    Value(&'static str),
    /// Unset means "none" (the feature is off, or the machine's own default applies).
    Unset(&'static str),
    /// Found at start-up (described here; the parser finds it).
    Computed(&'static str),
}

impl Fallback {
    /// How docs/configuration.md shows it.
    pub fn describe(&self) -> String {
        match self {
            Self::Value(v) => format!("`{v}`"),
            Self::Unset(why) | Self::Computed(why) => (*why).to_owned(),
        }
    }
}

/// A bad setting: start-up stops with one line that names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self { var, problem: problem.into() }
    }
}

/// A value that must never reach a log line.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The variables of one start-up: the process's environment read once ([`Env::process`]), or
/// none at all ([`Env::empty`]: every group's `Default` is its parse of the empty environment).
pub struct Env {
    values: BTreeMap<&'static str, String>,
}

impl Env {
    /// Reads every declared variable from the process's environment. Empty values count as
    /// unset; a value that is not UTF-8 is an error naming the variable.
    pub fn process() -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        for var in super::variables() {
            match std::env::var(var.name) {
                Ok(v) if v.trim().is_empty() => {}
                Ok(v) => {
                    values.insert(var.name, v);
                }
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => return Err(ConfigError::new(var.name, "is not valid UTF-8")),
            }
        }
        Ok(Self { values })
    }

    pub fn empty() -> Self {
        Self { values: BTreeMap::new() }
    }

    /// These variables set, for a test of a group's parser.
    #[cfg(test)]
    pub fn of(pairs: &[(&'static str, &str)]) -> Self {
        Self { values: pairs.iter().map(|(name, value)| (*name, (*value).to_owned())).collect() }
    }

    /// The variable's value, if set.
    pub fn get(&self, var: &Var) -> Option<&str> {
        debug_assert!(super::variables().any(|v| v.name == var.name), "{} is not in any group's VARS", var.name);
        self.values.get(var.name).map(String::as_str)
    }

    /// Whether the variable is set.
    pub fn is_set(&self, var: &Var) -> bool {
        self.get(var).is_some()
    }

    /// The value, or the default's text.
    pub(super) fn text(&self, var: &Var) -> Option<&str> {
        self.get(var).or(match var.default {
            Fallback::Value(v) => Some(v),
            Fallback::Unset(_) | Fallback::Computed(_) => None,
        })
    }

    /// The value (or the default) parsed; `what` names the expected kind in the error.
    pub fn parse<T: FromStr>(&self, var: &Var, what: &str) -> Result<T, ConfigError> {
        self.parse_opt(var, what)?.ok_or_else(|| ConfigError::new(var.name, "is not set"))
    }

    /// Like [`Env::parse`], for a variable whose default is not a value.
    pub fn parse_opt<T: FromStr>(&self, var: &Var, what: &str) -> Result<Option<T>, ConfigError> {
        match self.text(var) {
            None => Ok(None),
            Some(v) => {
                v.trim().parse().map(Some).map_err(|_| ConfigError::new(var.name, format!("{v:?} is not {what}")))
            }
        }
    }

    pub fn secs(&self, var: &Var) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(self.parse(var, "a number of seconds")?))
    }

    pub fn millis(&self, var: &Var) -> Result<Duration, ConfigError> {
        Ok(Duration::from_millis(self.parse(var, "a number of milliseconds")?))
    }

    /// `true`/`false` (also 1/0, yes/no, on/off); `None` when unset without a value default.
    pub fn flag(&self, var: &Var) -> Result<Option<bool>, ConfigError> {
        match self.text(var).map(str::trim) {
            None => Ok(None),
            Some("0" | "false" | "no" | "off") => Ok(Some(false)),
            Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
            Some(v) => Err(ConfigError::new(var.name, format!("{v:?} is not a boolean (use true or false)"))),
        }
    }

    /// One of a fixed set of words.
    pub fn choice<T: Copy>(&self, var: &Var, choices: &[(&str, T)]) -> Result<T, ConfigError> {
        let text = self.text(var).unwrap_or_default().trim();
        choices.iter().find(|(word, _)| *word == text).map(|(_, value)| *value).ok_or_else(|| {
            let words: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
            ConfigError::new(var.name, format!("{text:?} is not {}", words.join(" or ")))
        })
    }
}

/// A group's defaults: its parse of the empty environment. Every `Var`'s default text parses
/// (`config::tests` checks each group), so this cannot fail but by a mistake in a declaration.
pub fn defaults<T>(parse: impl FnOnce(&Env) -> Result<T, ConfigError>) -> T {
    parse(&Env::empty()).unwrap_or_else(|e| panic!("a default in src/config does not parse: {e}"))
}

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`): the only place a setting
/// may reach over plain, unencrypted protocols.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        // A scheme the URL standard does not know (smtp://) keeps its host as text, addresses too.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

//! Safeguarding: quiet hours, in which a teacher's messages to students wait for the morning,
//! flags, and what guardians read of groups.

use std::time::Duration;

use time::Time;

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const QUIET_HOURS: Var = Var {
    name: "QUIET_HOURS",
    default: Fallback::Unset("no quiet hours"),
    meaning: "a daily window `HH:MM-HH:MM` in the school's time zone (e.g. `21:00-08:00`, across midnight) in which a teacher's message to a chat with a student is accepted but held, then delivered when the window ends (docs/safeguarding.md); the default of every school, whose admins may set their own or `off` (`PATCH /api/school/settings`)",
};
const QUIET_HOURS_FAMILIES: Var = Var {
    name: "QUIET_HOURS_FAMILIES",
    default: Fallback::Unset("as QUIET_HOURS"),
    meaning: "the window of quiet hours for a teacher's message to a family chat (a guardian), `HH:MM-HH:MM`, `off` for none, or `students` for `QUIET_HOURS`'s (docs/safeguarding.md); the default of every school, whose admins may set their own (`PATCH /api/school/settings`)",
};
pub(super) const SCHOOL_TIMEZONE: Var = Var {
    name: "SCHOOL_TIMEZONE",
    default: Fallback::Value("UTC"),
    meaning: "the school's time zone, an IANA name such as `Europe/Moscow` (PostgreSQL's own list, checked at start): where `QUIET_HOURS` fall; the default of every school, whose admins may set their own (`PATCH /api/school/settings`)",
};
const HELD_RELEASE_EVERY_MS: Var = Var {
    name: "HELD_RELEASE_EVERY_MS",
    default: Fallback::Value("1000"),
    meaning: "how often a replica looks for held messages whose quiet hours have ended (each is delivered once, by one replica)",
};

const FLAG_EVERY_MS: Var = Var {
    name: "FLAG_EVERY_MS",
    default: Fallback::Value("1000"),
    meaning: "how often the flagger reads the log's new messages against the school's flag terms (one replica at a time; flags never hold up delivery)",
};
const FLAG_BURST_CHATS: Var = Var {
    name: "FLAG_BURST_CHATS",
    default: Fallback::Value("5"),
    meaning: "a teacher whose messages quiet hours hold reach this many students' chats within `FLAG_BURST_MINUTES` has them flagged as a burst (0: never)",
};
const FLAG_BURST_MINUTES: Var = Var {
    name: "FLAG_BURST_MINUTES",
    default: Fallback::Value("10"),
    meaning: "the window of `FLAG_BURST_CHATS`, in minutes",
};

const GUARDIAN_GROUPS: Var = Var {
    name: "GUARDIAN_GROUPS",
    default: Fallback::Value("none"),
    meaning: "what a guardian reads of the groups their child belongs to: `none` (a group holds other children's words), or `own_messages` (only the child's own messages, while the child is a member and the guardian linked; docs/safeguarding.md). A school's default: its admins may set their own. Every replica must agree",
};

pub(super) const VARS: &[Var] = &[
    QUIET_HOURS,
    QUIET_HOURS_FAMILIES,
    SCHOOL_TIMEZONE,
    HELD_RELEASE_EVERY_MS,
    FLAG_EVERY_MS,
    FLAG_BURST_CHATS,
    FLAG_BURST_MINUTES,
    GUARDIAN_GROUPS,
];

/// What a guardian reads of the groups their child belongs to: `none`, or `own_messages` (a
/// school's policy: `GUARDIAN_GROUPS` is every school's default, `crate::school` what holds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GuardianGroups {
    /// Nothing: a group holds other children's words.
    #[default]
    None,
    /// The child's own messages, as they are now, within the child's membership and the link.
    OwnMessages,
}

impl GuardianGroups {
    /// Whether guardians read their child's own messages in groups.
    pub fn own_messages(self) -> bool {
        self == Self::OwnMessages
    }
}

/// A daily window, start inclusive, end exclusive; across midnight when `start > end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    /// `21:00-08:00`.
    pub fn parse(text: &str) -> Option<Self> {
        let (start, end) = text.trim().split_once('-')?;
        let clock = |t: &str| {
            let (h, m) = t.trim().split_once(':')?;
            (h.len() <= 2 && m.len() == 2).then_some(())?;
            Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
        };
        let (start, end) = (clock(start)?, clock(end)?);
        (start != end).then_some(Self { start, end })
    }

    /// As [`Self::parse`] reads it: `21:00-08:00`.
    pub fn text(&self) -> String {
        let (s, e) = (self.start, self.end);
        format!("{:02}:{:02}-{:02}:{:02}", s.hour(), s.minute(), e.hour(), e.minute())
    }
}

/// Quiet hours for families (`QUIET_HOURS_FAMILIES`): the school's own (`QUIET_HOURS`), none,
/// or a window of their own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FamilyQuietHours {
    #[default]
    AsStudents,
    Off,
    Window(QuietHours),
}

impl FamilyQuietHours {
    /// `students`, `off` or a window `HH:MM-HH:MM` (`None` for anything else).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "students" => Some(Self::AsStudents),
            "off" => Some(Self::Off),
            window => QuietHours::parse(window).map(Self::Window),
        }
    }

    /// As [`Self::parse`] reads it.
    pub fn text(self) -> String {
        match self {
            Self::AsStudents => "students".to_owned(),
            Self::Off => "off".to_owned(),
            Self::Window(window) => window.text(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SafeguardingConfig {
    pub quiet_hours: Option<QuietHours>,
    pub family_quiet_hours: FamilyQuietHours,
    /// An IANA time zone name (checked against PostgreSQL's list at start).
    pub school_timezone: String,
    pub release_every: Duration,
    pub flag_every: Duration,
    /// Held messages to this many chats (0: never) …
    pub burst_chats: i64,
    /// … within this many minutes are a burst.
    pub burst_minutes: i32,
    pub guardian_groups: GuardianGroups,
}

impl SafeguardingConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let quiet_hours = match env.text(&QUIET_HOURS) {
            None => None,
            Some(text) => Some(QuietHours::parse(text).ok_or_else(|| {
                ConfigError::new(QUIET_HOURS.name, format!("{text:?} is not a window such as 21:00-08:00"))
            })?),
        };
        let family_quiet_hours = match env.text(&QUIET_HOURS_FAMILIES) {
            None => FamilyQuietHours::AsStudents,
            Some(text) => FamilyQuietHours::parse(text).ok_or_else(|| {
                ConfigError::new(
                    QUIET_HOURS_FAMILIES.name,
                    format!("{text:?} is not a window such as 21:00-08:00, nor off, nor students"),
                )
            })?,
        };
        let school_timezone = env.text(&SCHOOL_TIMEZONE).unwrap_or("UTC").trim().to_owned();
        if school_timezone.is_empty() || school_timezone.len() > 64 {
            return Err(ConfigError::new(SCHOOL_TIMEZONE.name, "must be a time zone name such as Europe/Moscow"));
        }
        let burst_minutes: i32 = env.parse(&FLAG_BURST_MINUTES, "a number of minutes")?;
        if !(1..=1440).contains(&burst_minutes) {
            return Err(ConfigError::new(FLAG_BURST_MINUTES.name, format!("must be 1 to 1440 (got {burst_minutes})")));
        }
        let guardian_groups = match env.text(&GUARDIAN_GROUPS).unwrap_or("none").trim() {
            "none" => GuardianGroups::None,
            "own_messages" => GuardianGroups::OwnMessages,
            other => {
                return Err(ConfigError::new(
                    GUARDIAN_GROUPS.name,
                    format!("{other:?} is not a policy: none or own_messages"),
                ));
            }
        };
        Ok(Self {
            quiet_hours,
            family_quiet_hours,
            school_timezone,
            release_every: env.millis(&HELD_RELEASE_EVERY_MS)?.max(Duration::from_millis(50)),
            flag_every: env.millis(&FLAG_EVERY_MS)?.max(Duration::from_millis(50)),
            burst_chats: env.parse(&FLAG_BURST_CHATS, "a number of chats")?,
            burst_minutes,
            guardian_groups,
        })
    }

    /// The error naming `SCHOOL_TIMEZONE` when PostgreSQL does not know it.
    pub fn unknown_timezone(&self) -> ConfigError {
        ConfigError::new(
            SCHOOL_TIMEZONE.name,
            format!("{:?} is not a time zone PostgreSQL knows (see pg_timezone_names)", self.school_timezone),
        )
    }
}

impl Default for SafeguardingConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

#[cfg(test)]
mod tests {
    use super::{FamilyQuietHours, GuardianGroups, QuietHours, SafeguardingConfig};
    use crate::config::env::Env;

    #[test]
    fn families_keep_the_schools_quiet_hours_unless_given_their_own_or_none() {
        let of = |vars: &[(&'static str, &'static str)]| SafeguardingConfig::from_env(&Env::of(vars));
        let families = |vars| of(vars).expect("config").family_quiet_hours;
        assert_eq!(families(&[("QUIET_HOURS", "21:00-08:00")]), FamilyQuietHours::AsStudents);
        let own = QuietHours::parse("22:30-07:00").map(FamilyQuietHours::Window);
        assert_eq!(Some(families(&[("QUIET_HOURS_FAMILIES", " 22:30-07:00")])), own);
        assert_eq!(families(&[("QUIET_HOURS_FAMILIES", "off")]), FamilyQuietHours::Off);
        assert_eq!(families(&[("QUIET_HOURS_FAMILIES", "students")]), FamilyQuietHours::AsStudents);
        assert_eq!(of(&[("QUIET_HOURS_FAMILIES", "late")]).expect_err("no window").var, "QUIET_HOURS_FAMILIES");
        assert_eq!(own.map(FamilyQuietHours::text).as_deref(), Some("22:30-07:00"), "read back as written");
    }

    #[test]
    fn guardian_groups_is_none_unless_set_and_a_bad_policy_names_the_variable() {
        assert_eq!(SafeguardingConfig::default().guardian_groups, GuardianGroups::None);
        let own = SafeguardingConfig::from_env(&Env::of(&[("GUARDIAN_GROUPS", "own_messages")])).expect("a policy");
        assert_eq!(own.guardian_groups, GuardianGroups::OwnMessages);
        let bad = SafeguardingConfig::from_env(&Env::of(&[("GUARDIAN_GROUPS", "all")])).expect_err("no such policy");
        assert_eq!(bad.var, "GUARDIAN_GROUPS");
    }

    #[test]
    fn windows_parse_and_nonsense_does_not() {
        let window = QuietHours::parse("21:00-08:00").expect("a window");
        assert_eq!((window.start.hour(), window.end.hour()), (21, 8));
        assert_eq!(QuietHours::parse(" 9:30 - 17:05 ").map(|w| (w.start.minute(), w.end.minute())), Some((30, 5)));
        for bad in
            ["", "21:00", "21:00-21:00", "25:00-08:00", "21:60-08:00", "a-b", "21:00-08:00-09:00", "021:00-08:00"]
        {
            assert_eq!(QuietHours::parse(bad), None, "{bad:?}");
        }
    }
}

//! A school's own settings: what its admins changed of the deployment's defaults.
//!
//! The environment gives every school of the deployment its defaults (`SCHOOL_NAME`,
//! `SCHOOL_TIMEZONE`, `MESSAGE_EDITING`); an admin changes them for their school through
//! `PATCH /api/school/settings` (`crate::api::school`), each change a `school_settings_changed`
//! of the log (who changed what, when), kept in `school_settings` by the log's triggers. Every
//! replica reads them at start and follows the log's events of that type (the hub calls
//! [`Settings::apply`] as it dispatches one), so a change holds on every replica as soon as
//! its listener has read it. What the server decides with them asks [`Settings`] each time,
//! never the configuration.

use std::sync::RwLock;

use serde::{Deserialize, Deserializer, Serialize};
use tokio_postgres::GenericClient;

use crate::config::{Config, EmailDefaults, FamilyQuietHours, GuardianGroups, Language, QuietHours};

/// The settings to change, as an admin asks (`PATCH /api/school/settings`) and as the log's
/// `school_settings_changed` keeps them: each one named, to its new value, or to null for the
/// deployment's default; one not named stays as it is. At least one is named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SettingsRequest, min_properties = 1)]
pub struct SettingsChange {
    /// 1-100 characters, no space around them.
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub name: Option<Option<String>>,
    /// A time zone PostgreSQL knows (`pg_timezone_names`), e.g. `Europe/Moscow`.
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
    /// A daily window `HH:MM-HH:MM` (e.g. `21:00-08:00`), or `off` for none.
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub quiet_hours: Option<Option<String>>,
    /// For a teacher's messages to families: a daily window `HH:MM-HH:MM`, `off` for none, or
    /// `students` for the students' window.
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub family_quiet_hours: Option<Option<String>>,
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>)]
    pub message_editing: Option<Option<bool>>,
    /// Days a message keeps its content, 1-36500; older ones are purged.
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 36500)]
    pub retention_days: Option<Option<i32>>,
    /// How a person who chose nothing hears by email: `instant`, `digest`, `none`, or per role,
    /// e.g. `guardian=instant,teacher=digest` (a role not named: none).
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub email_notify: Option<Option<String>>,
    /// The language of the emails to whoever chose none: `ru` or `en`.
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Language>)]
    pub language: Option<Option<Language>>,
    /// The name the school's emails come from (1-100 characters; the address stays the
    /// deployment's `SMTP_FROM`).
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub email_sender: Option<Option<String>>,
    /// What a guardian reads of the groups their child belongs to: `none`, or `own_messages`
    /// (the child's own messages; docs/safeguarding.md). A change ends linked guardians' open
    /// event streams, which they open again under it.
    #[serde(default, deserialize_with = "named", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<GuardianGroups>)]
    pub guardian_groups: Option<Option<GuardianGroups>>,
}

/// A field that is present: `Some(None)` when it is `null` (absent: `None`, by `default`).
pub fn named<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl SettingsChange {
    /// The settings a school has, in a fixed order.
    pub const NAMES: [&'static str; 10] = [
        "name",
        "time_zone",
        "quiet_hours",
        "family_quiet_hours",
        "message_editing",
        "retention_days",
        "email_notify",
        "language",
        "email_sender",
        "guardian_groups",
    ];

    /// The names of the settings it changes, in [`Self::NAMES`]' order.
    pub fn changed(&self) -> Vec<&'static str> {
        let named = [
            self.name.is_some(),
            self.time_zone.is_some(),
            self.quiet_hours.is_some(),
            self.family_quiet_hours.is_some(),
            self.message_editing.is_some(),
            self.retention_days.is_some(),
            self.email_notify.is_some(),
            self.language.is_some(),
            self.email_sender.is_some(),
            self.guardian_groups.is_some(),
        ];
        Self::NAMES.into_iter().zip(named).filter_map(|(name, named)| named.then_some(name)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.changed().is_empty()
    }
}

/// A school's settings as they hold: each its own, or the deployment's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub name: String,
    pub time_zone: String,
    /// The students' window (`None`: no quiet hours).
    pub quiet_hours: Option<QuietHours>,
    /// The families' window: the students', none, or one of their own.
    pub family_quiet_hours: FamilyQuietHours,
    pub message_editing: bool,
    /// How long a message keeps its content (`None`: for ever).
    pub retention: Option<time::Duration>,
    /// How a person who chose nothing hears by email, by role.
    pub email_defaults: EmailDefaults,
    /// The language of the emails to whoever chose none.
    pub language: Language,
    /// The name the emails come from (`None`: only the address).
    pub email_sender: Option<String>,
    /// What a guardian reads of their child's groups.
    pub guardian_groups: GuardianGroups,
}

impl Effective {
    /// The window a teacher's message to a family chat is held in (`None`: never).
    pub fn family_window(&self) -> Option<QuietHours> {
        match self.family_quiet_hours {
            FamilyQuietHours::AsStudents => self.quiet_hours,
            FamilyQuietHours::Off => None,
            FamilyQuietHours::Window(window) => Some(window),
        }
    }
}

/// What the school set itself (null: the deployment's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OwnSettings)]
pub struct Own {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    /// `HH:MM-HH:MM`, or `off`.
    pub quiet_hours: Option<String>,
    /// `HH:MM-HH:MM`, `off`, or `students`.
    pub family_quiet_hours: Option<String>,
    pub message_editing: Option<bool>,
    pub retention_days: Option<i32>,
    /// `instant`, `digest`, `none`, or `role=choice,…`.
    pub email_notify: Option<String>,
    pub language: Option<Language>,
    pub email_sender: Option<String>,
    pub guardian_groups: Option<GuardianGroups>,
}

impl Own {
    /// What the school changed (`school_settings`; nothing: every default).
    pub async fn read(client: &impl GenericClient) -> anyhow::Result<Self> {
        let row = client
            .query_opt(
                "SELECT name, time_zone, quiet_hours, family_quiet_hours, message_editing, retention_days,
                        email_notify, language, email_sender, guardian_groups
                 FROM school_settings",
                &[],
            )
            .await?;
        Ok(match row {
            None => Self::default(),
            Some(row) => Self {
                name: row.try_get(0)?,
                time_zone: row.try_get(1)?,
                quiet_hours: row.try_get(2)?,
                family_quiet_hours: row.try_get(3)?,
                message_editing: row.try_get(4)?,
                retention_days: row.try_get(5)?,
                email_notify: row.try_get(6)?,
                language: row.try_get(7)?,
                email_sender: row.try_get(8)?,
                guardian_groups: row.try_get::<_, Option<&str>>(9)?.map(|policy| match policy {
                    "own_messages" => GuardianGroups::OwnMessages,
                    _ => GuardianGroups::None,
                }),
            },
        })
    }

    /// Each setting the school's own, or else the default.
    pub fn over(self, defaults: &Effective) -> Effective {
        Effective {
            name: self.name.unwrap_or_else(|| defaults.name.clone()),
            time_zone: self.time_zone.unwrap_or_else(|| defaults.time_zone.clone()),
            // The log's rule keeps only `off` or a window QuietHours reads.
            quiet_hours: match self.quiet_hours.as_deref() {
                None => defaults.quiet_hours,
                Some(window) => QuietHours::parse(window),
            },
            family_quiet_hours: match self.family_quiet_hours.as_deref() {
                None => defaults.family_quiet_hours,
                Some(own) => FamilyQuietHours::parse(own).unwrap_or(FamilyQuietHours::Off),
            },
            message_editing: self.message_editing.unwrap_or(defaults.message_editing),
            retention: match self.retention_days {
                None => defaults.retention,
                Some(days) => Some(time::Duration::days(i64::from(days))),
            },
            // The log's rule keeps only what `EmailDefaults::parse` reads.
            email_defaults: self
                .email_notify
                .as_deref()
                .and_then(EmailDefaults::parse)
                .unwrap_or(defaults.email_defaults),
            language: self.language.unwrap_or(defaults.language),
            email_sender: self.email_sender.or_else(|| defaults.email_sender.clone()),
            guardian_groups: self.guardian_groups.unwrap_or(defaults.guardian_groups),
        }
    }

    fn apply(&mut self, change: &SettingsChange) {
        if let Some(name) = &change.name {
            self.name = name.clone();
        }
        if let Some(zone) = &change.time_zone {
            self.time_zone = zone.clone();
        }
        if let Some(window) = &change.quiet_hours {
            self.quiet_hours = window.clone();
        }
        if let Some(window) = &change.family_quiet_hours {
            self.family_quiet_hours = window.clone();
        }
        if let Some(editing) = change.message_editing {
            self.message_editing = editing;
        }
        if let Some(days) = change.retention_days {
            self.retention_days = days;
        }
        if let Some(notify) = &change.email_notify {
            self.email_notify = notify.clone();
        }
        if let Some(language) = change.language {
            self.language = language;
        }
        if let Some(sender) = &change.email_sender {
            self.email_sender = sender.clone();
        }
        if let Some(policy) = change.guardian_groups {
            self.guardian_groups = policy;
        }
    }
}

/// The replica's copy of its school's settings.
pub struct Settings {
    defaults: Effective,
    own: RwLock<Own>,
}

impl Settings {
    /// With the deployment's defaults and nothing of the school's own yet (see [`Self::load`]).
    pub fn new(config: &Config) -> Self {
        let defaults = Effective {
            name: config.governance.school_name.clone(),
            time_zone: config.safeguarding.school_timezone.clone(),
            quiet_hours: config.safeguarding.quiet_hours,
            family_quiet_hours: config.safeguarding.family_quiet_hours,
            message_editing: config.append.editing,
            retention: config.governance.retention,
            email_defaults: config.notify.email.defaults,
            language: config.notify.email.language,
            email_sender: config.notify.email.smtp.as_ref().and_then(|smtp| smtp.from.name.clone()),
            guardian_groups: config.safeguarding.guardian_groups,
        };
        Self { defaults, own: RwLock::default() }
    }

    /// Reads what the school changed (`school_settings`), replacing what this copy had.
    pub async fn load(&self, client: &impl GenericClient) -> anyhow::Result<()> {
        let own = Own::read(client).await?;
        *self.own.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = own;
        Ok(())
    }

    /// Applies a change the log has (called in the log's order, as the hub dispatches it).
    pub fn apply(&self, change: &SettingsChange) {
        self.own.write().unwrap_or_else(|poisoned| poisoned.into_inner()).apply(change);
    }

    /// What the school changed.
    pub fn own(&self) -> Own {
        self.own.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The deployment's defaults.
    pub fn defaults(&self) -> &Effective {
        &self.defaults
    }

    /// The settings as they hold now.
    pub fn effective(&self) -> Effective {
        self.own().over(&self.defaults)
    }

    pub fn name(&self) -> String {
        self.effective().name
    }

    pub fn time_zone(&self) -> String {
        self.effective().time_zone
    }

    pub fn message_editing(&self) -> bool {
        self.effective().message_editing
    }

    /// How long a message keeps its content (`None`: for ever).
    pub fn retention(&self) -> Option<time::Duration> {
        self.effective().retention
    }

    /// How a person who chose nothing hears by email, by role.
    pub fn email_defaults(&self) -> EmailDefaults {
        self.effective().email_defaults
    }

    /// The language of the emails to whoever chose none.
    pub fn language(&self) -> Language {
        self.effective().language
    }

    /// The name the emails come from (`None`: only the address).
    pub fn email_sender(&self) -> Option<String> {
        self.effective().email_sender
    }

    /// What a guardian reads of their child's groups (asked on every guardian's request and
    /// stream, so it reads the one setting, not them all).
    pub fn guardian_groups(&self) -> GuardianGroups {
        let own = self.own.read().unwrap_or_else(|poisoned| poisoned.into_inner()).guardian_groups;
        own.unwrap_or(self.defaults.guardian_groups)
    }

    /// The students' quiet hours (`None`: none).
    pub fn quiet_hours(&self) -> Option<QuietHours> {
        self.effective().quiet_hours
    }

    /// The families' quiet hours (`None`: none): the school's own window for them, or the
    /// deployment's (`QUIET_HOURS_FAMILIES`), either of which may follow the students'.
    pub fn family_window(&self) -> Option<QuietHours> {
        self.effective().family_window()
    }
}

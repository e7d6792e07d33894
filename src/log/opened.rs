//! What a `chat_created` opened, and whom an announcement reaches.

use serde::{Deserialize, Serialize};

/// Who an announcement's members are. `my_students`: the students who have a completed lesson
/// with its owner, now and later (a lesson completed after it was created adds its student).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    MyStudents,
}

crate::db::text_column!(Audience { MyStudents => "my_students" });

/// Whom an announcement reaches: its students (as every announcement before families could be
/// reached), their guardians (not the students), or both. A guardian it reaches is its member,
/// once per family whatever the number of their children in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recipients {
    Students,
    Guardians,
    Both,
}

crate::db::text_column!(Recipients { Students => "students", Guardians => "guardians", Both => "both" });

impl Recipients {
    pub fn students(self) -> bool {
        self != Self::Guardians
    }

    pub fn guardians(self) -> bool {
        self != Self::Students
    }
}

/// What kind of chat a `chat_created` opened. Told apart by their fields, tried in this order:
/// only an inquiry has `guest_id`, only a group (or an inquiry) `title`, only a family chat
/// `guardian_id`, a lesson pair none of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ChatOpened {
    /// A guest's inquiry through a teacher's link: both members from the start, like a pair.
    Inquiry {
        title: String,
        #[serde(default)]
        context: Option<serde_json::Value>,
        link_id: i64,
        host_id: i64,
        guest_id: i64,
    },
    /// A group, with no members yet (they join by `participant_added`, next in the log).
    Group {
        title: String,
        #[serde(default)]
        context: Option<serde_json::Value>,
        /// Only its owner posts (an announcement).
        #[serde(default)]
        announcement: bool,
        #[serde(default)]
        audience: Option<Audience>,
        /// Whom an announcement reaches (absent: its students).
        #[serde(default)]
        recipients: Option<Recipients>,
    },
    /// A guardian and a teacher of their child, both members from the start (opened by the
    /// database: `family_chats_open`).
    Family { guardian_id: i64, teacher_id: i64 },
    /// A lesson pair, both members from the start.
    Direct { student_id: i64, teacher_id: i64 },
}

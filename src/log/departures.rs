//! A departed teacher's direct chat handed to a successor, as the application asks the log
//! for it ([`super::NewEvent::ChatHandedOver`]): `chat_handed_over`, by an admin, whose rule
//! (`sql/functions/events_rule_chat_handed_over.sql`) fills in whose chat it was.

use super::EventType;

/// An admin hands `chat_id` to teacher `to_teacher_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandOver {
    pub admin_id: i64,
    pub chat_id: i64,
    pub to_teacher_id: i64,
}

impl HandOver {
    /// The row's chat, actor, type and payload.
    pub(super) fn columns(&self) -> (Option<i64>, Option<i64>, EventType, serde_json::Value) {
        let payload = serde_json::json!({ "to_teacher_id": self.to_teacher_id });
        (Some(self.chat_id), Some(self.admin_id), EventType::ChatHandedOver, payload)
    }
}

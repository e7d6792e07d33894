//! A message's files, as the log records them.

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

/// A file uploaded to a chat, as a `message_created` event records it once the message
/// attaches it (and as every view of the message shows it). Its bytes: `GET /api/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    /// The file name the uploader gave (Unicode, no path).
    pub name: String,
    /// Sniffed from the bytes, not taken from the uploader.
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    /// Of the bytes, in lowercase hex: the download's ETag.
    pub sha256: String,
    /// An image's size in pixels, when it could be read from its header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
}

/// Content types a browser shows as an image: attachments of these types (with a size read
/// from their header) make an `image` message.
pub const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"];

impl Attachment {
    /// A message's attachments from a `messages.attachments` column (NULL: none).
    pub fn list_from_row(row: &Row, column: &str) -> Result<Vec<Self>, tokio_postgres::Error> {
        let list: Option<postgres_types::Json<Vec<Self>>> = row.try_get(column)?;
        Ok(list.map(|list| list.0).unwrap_or_default())
    }

    pub fn is_image(&self) -> bool {
        IMAGE_TYPES.contains(&self.content_type.as_str()) && self.width.is_some()
    }
}

// The wire types of the REST API: the schemas of the server's OpenAPI document under the names
// the client uses. Types only.

import type { components } from '../generated/api';

/**
 * The schemas of the server's OpenAPI document, as `npm run gen:api` generates them
 * (src/generated/api.ts): the wire types below are these, under the names the client uses.
 * A field the document does not list as required may be absent (`?`): read it with a default.
 */
export type Schemas = components['schemas'];

/** `guest`: a visitor without an account who opened an inquiry link (may use only that chat). */
export type Role = Schemas['Role'];
export type Person = Schemas['Person'];
export type DevUser = Schemas['DevUser'];
/** Someone's presence (`GET /api/presence/{id}`, SSE `presence`): `last_seen` null or absent while online and if never seen. */
export type PresenceAnswer = Schemas['PresenceEvent'];
/** The other participant of a direct chat or an inquiry, with their presence. */
export type Participant = Schemas['Contact'];

/**
 * `direct`: a student and a teacher, opened by a lesson. `group`: created by a teacher or an
 * admin. `inquiry`: a guest and a teacher, opened through the teacher's inquiry link; shown as
 * a direct chat with its other participant, under the link's title, and closed (read-only)
 * after a while without messages.
 */
export type ChatKind = Schemas['ChatKind'];

/**
 * What a chat is about, as its creator described it, e.g. `{"type": "course", "id": 12,
 * "title": "ЕГЭ математика"}`: any JSON object; the inbox groups chats by its `title`.
 */
export type ChatContext = NonNullable<Schemas['ChatHeader']['context']>;

/** What every view of a chat says about it, whoever looks (`title`, `context`, `created_by`, `closed_at`: null or absent when none). */
export type ChatHeader = Schemas['ChatHeader'];
/** One chat as its participant sees it (`GET /api/chats`). */
export type ChatSummary = Schemas['ChatSummary'];
/** One chat as an admin sees it (`GET /api/admin/chats`). */
export type AdminChat = Schemas['AdminChat'];
/** A member of a chat, with their presence and when they joined. */
export type Member = Schemas['Member'];
/** `GET /api/chats/{id}`: one chat with its current members, in the order they joined. */
export type ChatDetails = Schemas['ChatDetails'];
/**
 * The message a reply quotes, as it is now (`content_preview` null once it is deleted), or only
 * that it is `unavailable` to us (written before we joined the group: no author, no text).
 */
export type ReplyPreview = Schemas['ReplyPreview'];
/**
 * A file uploaded to a chat (`POST /api/chats/{id}/attachments`), as every message view shows
 * it. `width` and `height`: only for an image whose size the server could read. Its bytes are
 * at `attachmentUrl(id)` (always served as a download, never rendered by the server's page).
 */
export type Attachment = Schemas['Attachment'];
/** `image`: every attachment is an image; `file`: some attachments, not all images; `text`: none. */
export type MessageType = Schemas['MessageType'];
export type HistoryMessage = Schemas['HistoryMessage'];
export type SentMessage = Schemas['SentMessage'];
/** `GET /api/unread-count`: the caller's unread messages over all their chats, and in how many chats. */
export type UnreadCount = Schemas['UnreadCount'];
/** What every error answer's `code` may be (`{"error", "code"}`): stable, what the client switches on. */
export type ErrorCode = Schemas['Code'];

// Moderation, erasure and export (their requests: ../moderationApi.ts).

/** A moderator hid a message: participants get it without content or files; admins get both, and who hid it and why. */
export type Hidden = Schemas['Hidden'];
/** Why a message's content was removed for good: its retention period ended, or its author's data was erased. */
export type PurgeCause = Schemas['PurgeCause'];
/** A message's content was removed for good, for everyone. */
export type Purged = Schemas['Purged'];
/** What a quote or a chat's last message says of a message that was hidden or purged (null: neither). */
export type Removed = Schemas['Removal'];
/** An account's suspension: until when (null: indefinitely) and why. */
export type Suspension = Schemas['Suspension'];
/** A person's erasure: asked for, and done (`completed_at`) once every message and file of theirs is gone. */
export type Erasure = Schemas['Erasure'];
/**
 * A report of a message (`GET /api/admin/reports`, SSE `message_reported`, `message_flagged`):
 * the message, who reported it and why; a flag (the system's) has no `reporter` and says its
 * cause in `flag` (the term it matched, or a burst).
 */
export type ReportView = Schemas['ReportView'];
export type ReportList = Schemas['ReportList'];
/** `POST /api/messages/{id}/report`'s 201 answer. */
export type ReportCreated = Schemas['Reported'];
/** Which reports to list: the open ones (not resolved yet), or all. */
export type ReportState = Schemas['ReportState'];
/** A term of the school's list that flags a message (`GET /api/admin/flag-terms`). */
export type FlagTerm = Schemas['FlagTerm'];
export type FlagTerms = Schemas['FlagTerms'];
/** The school's settings as they hold, its own and the deployment's defaults (`GET /api/school/settings`). */
export type SchoolSettings = Schemas['SchoolSettings'];
/** A change of them: each named setting to its value, or null for the deployment's default. */
export type SchoolSettingsChange = Schemas['SettingsRequest'];
/**
 * A teacher's message quiet hours hold (`POST /api/messages`'s 202, `GET /api/held-messages`):
 * its own id (not a message id), delivered at `deliver_at`.
 */
export type HeldMessage = Schemas['HeldMessage'];
export type HeldMessages = Schemas['HeldMessages'];
/**
 * A message we scheduled (`POST /api/messages` with `send_at`: its 202; `GET
 * /api/scheduled-messages`): its own id (not a message id), sent at `send_at`; `failed` when
 * its time came and we could no longer write it there (`failure` says why).
 */
export type ScheduledMessage = Schemas['ScheduledMessage'];
export type ScheduledMessages = Schemas['ScheduledMessages'];
/** A person as the moderation view lists them (`GET /api/admin/users`). */
export type AdminUser = Schemas['AdminUser'];
export type AdminUserList = Schemas['AdminUsers'];
/** `POST /api/admin/users/{id}/erase`'s 202 answer. */
export type ErasureStarted = Schemas['ErasureStarted'];
/** Why (a report, a hide, an erasure): 1–500 characters, not blank. */
export type Reason = Schemas['Reason'];
export type SuspendRequest = Schemas['SuspendRequest'];
export type Successor = Schemas['Successor'];
/** What a chat's export is downloaded as (`GET /api/chats/{id}/export?format=`). */
export type ExportFormat = Schemas['Format'];
/** The language of an export (`lang=`; else the server takes it from `Accept-Language`). */
export type ExportLanguage = Schemas['Lang'];
/** A guardian's link to a student (`GET /api/admin/guardians`): the guardian reads the student's direct chats. */
export type GuardianLink = Schemas['GuardianLink'];
export type GuardianLinks = Schemas['GuardianLinks'];

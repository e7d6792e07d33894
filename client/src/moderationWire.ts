// The wire types of moderation, erasure and export, written by hand after the API's
// description until the server's OpenAPI document has them (then `npm run gen:api` generates
// them and api.ts names the generated ones instead; this module goes). Shaped exactly as the
// API says; nothing imports this but api.ts.

import type { Attachment, ChatKind, Person, Role } from './api';

/** A moderator hid the message (`hidden_by` and `reason` reach admins only: null for others). */
export interface WireHidden {
  hidden_at: string;
  hidden_by: number | null;
  reason: string | null;
}

/** Why a message's content was removed for good. */
export type WirePurgeCause = 'retention' | 'erasure';

/** The message's content was removed for good (for everyone): content `""`, no attachments. */
export interface WirePurged {
  purged_at: string;
  cause: WirePurgeCause;
}

/** What a quote or a chat's last message says of a message that was hidden or purged. */
export type WireRemoved = 'hidden' | 'purged';

export interface WireSuspension {
  /** Null: indefinitely. */
  until: string | null;
  reason: string;
}

export interface WireErasure {
  requested_at: string;
  completed_at: string | null;
}

export interface WireReportView {
  id: number;
  chat: { id: number; kind: ChatKind; title: string | null };
  message: {
    id: number;
    sender: Person;
    content: string;
    created_at: string;
    is_deleted: boolean;
    hidden: WireHidden | null;
    purged: WirePurged | null;
    attachments: Attachment[];
  };
  reporter: Person;
  reason: string;
  created_at: string;
  resolved_at: string | null;
  /** `hidden`: an admin hid the message; null while the report is open. */
  resolution: string | null;
}

export interface WireReportList {
  reports: WireReportView[];
  next_cursor: string | null;
}

/** `POST /api/messages/{id}/report`'s 201 answer. */
export interface WireReportCreated {
  id: number;
  message_id: number;
  created_at: string;
}

export interface WireAdminUser {
  id: number;
  name: string;
  role: Role;
  email: string | null;
  suspended: WireSuspension | null;
  erasure: WireErasure | null;
}

export interface WireAdminUserList {
  users: WireAdminUser[];
}

/** `POST /api/admin/users/{id}/erase`'s 202 answer. */
export interface WireErasureStarted {
  user_id: number;
  requested_at: string;
}

/** `GET /api/me` with the caller's suspension (null: none). */
export interface WireMeSuspension {
  suspended?: WireSuspension | null;
}

// Checks of what the server sends, for the event stream (events.ts, moderationEvents.ts):
// each says whether a parsed JSON value has the shape the client relies on. Anything that
// fails one is dropped rather than trusted.

import { type Hidden, type Person, type Purged, type Role, isAttachment } from '../api';
import type { WireMessage } from '../conversation/model';

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
export const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

export const isOptional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
export const isString = (value: unknown): value is string => typeof value === 'string';
export const isNullableString = (value: unknown) => value === null || isString(value);
export const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
/** An RFC 3339 date and time with its offset, e.g. `2025-01-17T15:30:00.123Z`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
export const isTimestamp = (value: unknown): value is string =>
  isString(value) && RFC3339.test(value) && !Number.isNaN(Date.parse(value));

// Every role of the document, once (a role added there fails to compile here until it is listed).
const KNOWN_ROLES: Record<Role, true> = { student: true, teacher: true, admin: true, guest: true, guardian: true };
const ROLES = Object.keys(KNOWN_ROLES) as Role[];

export function isPerson(value: unknown): value is Person {
  return isObject(value) && isInt(value.id) && isString(value.name) && ROLES.includes(value.role as Role);
}

/** A moderator's hiding: when (who and why reach admins only). */
export function isHidden(value: unknown): value is Hidden {
  return (
    isObject(value) &&
    isTimestamp(value.hidden_at) &&
    isOptional(value.hidden_by, (v) => v === null || isInt(v)) &&
    isOptional(value.reason, isNullableString)
  );
}

/** A hiding as the document has it: who and why null when not said (a participant's view). */
export function hiddenOf(hidden: Hidden): Hidden {
  return { hidden_at: hidden.hidden_at, hidden_by: hidden.hidden_by ?? null, reason: hidden.reason ?? null };
}

/** A purge: when, and why (a cause this client does not know yet is no purge it can show). */
export function isPurged(value: unknown): value is Purged {
  return isObject(value) && isTimestamp(value.purged_at) && (value.cause === 'retention' || value.cause === 'erasure');
}

const isRemoved = (value: unknown) => value === null || value === 'hidden' || value === 'purged';

function isReplyPreview(value: unknown): boolean {
  return (
    isObject(value) &&
    isInt(value.id) &&
    isOptional(value.sender_id, (v) => v === null || isInt(v)) &&
    isOptional(value.content_preview, isNullableString) &&
    typeof value.is_deleted === 'boolean' &&
    (value.unavailable === undefined || typeof value.unavailable === 'boolean') &&
    isOptional(value.removed, isRemoved)
  );
}

/** A message: the four fields every message has, and the newer ones checked when present. */
export function isWireMessage(value: unknown): value is WireMessage {
  return (
    isObject(value) &&
    isInt(value.id) &&
    isInt(value.sender_id) &&
    isString(value.content) &&
    isString(value.created_at) &&
    isOptional(value.is_edited, (v) => typeof v === 'boolean') &&
    isOptional(value.edited_at, isNullableString) &&
    isOptional(value.reply_to, (v) => v === null || isReplyPreview(v)) &&
    isOptional(value.read_by, (v) => Array.isArray(v) && v.every(isInt)) &&
    // A type this client does not know is shown by its attachments (`fromWire`:
    // conversation/knownMessages.ts).
    isOptional(value.type, isString) &&
    isOptional(value.attachments, (v) => Array.isArray(v) && v.every(isAttachment)) &&
    isOptional(value.hidden, (v) => v === null || isHidden(v)) &&
    isOptional(value.purged, (v) => v === null || isPurged(v)) &&
    isOptional(value.mentions, (v) => Array.isArray(v) && v.every(isMention))
  );
}

/** Someone a message mentions: an id and their name now. */
function isMention(value: unknown): boolean {
  return isObject(value) && isInt(value.id) && isString(value.name);
}

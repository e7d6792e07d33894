// English strings: what a person reads of an error (errors.ts): by its code (one for every
// `WordedCode`, checked at compile time), else its status, else its class. Part of en.ts.

import type { WordedCode } from '../../errorCodes';

const errors = {
  unreachable: 'Cannot reach the server. Check your connection.',
  /** An error answer without a code this client knows: by its status, else by its class. */
  status: {
    '400': 'The request was not accepted.',
    '401': 'You are not signed in. Please sign in again.',
    '403': 'Not allowed: it does not exist, or it is not yours to use.',
    '404': 'Not found: it does not exist.',
    '408': 'The request took too long to arrive. Try again.',
    '409': 'This clashes with a change made meanwhile. Try again.',
    '413': 'This is too large for the server.',
    '422': 'This cannot be used here.',
    '429': 'Too many requests. Wait a moment and try again.',
    '500': 'Something went wrong on the server. Try again.',
    '502': 'The server cannot be reached right now. Try again in a moment.',
    '503': 'The server is unavailable right now. Try again in a moment.',
    '504': 'The server did not answer in time. Try again in a moment.',
  },
  otherClient: 'The request was refused (error {{status}}).',
  otherServer: 'The server could not answer (error {{status}}). Try again in a moment.',
  /** What each error `code` of the server means (every code of the OpenAPI document's `Code`, and the two of `auth_error` only). */
  code: {
    invalid_request: 'The request was not accepted: something in it is not right.',
    content_blank: 'The message is empty: write something first.',
    content_too_long: 'The message is too long: at most 10,000 characters.',
    unauthenticated: 'You are not signed in. Please sign in again.',
    token_expired: 'Your session has expired. Please sign in again.',
    session_ended: 'You have signed out of this session. Please sign in again.',
    guest_session_ended: 'This conversation is closed, and your visit with it.',
    forbidden: 'Not allowed: it does not exist, or it is not yours to use.',
    admin_read_only: 'Admins read chats but do not write in them.',
    guardian_read_only: 'Guardians read their child’s chats but do not write in them.',
    not_author: 'Only the author of a message can change it.',
    editing_off: 'This school does not allow editing messages: delete it and write it again.',
    not_group_owner: "Only the group's owner or an admin can do this.",
    guest_confined: 'A guest can only use their own conversation.',
    cross_site_request: 'The request came from another site and was refused. Reload the page.',
    not_found: 'Not found: it does not exist.',
    method_not_allowed: 'The server does not support this action.',
    request_timeout: 'The request took too long to arrive. Try again.',
    conflict: 'This clashes with a change made meanwhile. Try again.',
    chat_closed: 'This conversation is closed: nothing more can be sent here.',
    visitor_blocked: 'The teacher of this link has blocked you: it cannot open a new conversation for you.',
    message_deleted: 'This message has been deleted.',
    group_full: 'The group is full: no more members can join it.',
    too_many_pins: 'This chat has as many pinned messages as it may have: unpin one first.',
    payload_too_large: 'This is too large for the server.',
    unsupported_media_type: 'The server does not accept this kind of content.',
    range_not_satisfiable: 'That part of the file does not exist.',
    unprocessable: 'This cannot be used here (for example, a message of another chat, or someone who may not be added).',
    idempotency_key_reused: 'This message was already sent with other content. Write it again as a new message.',
    rate_limited: 'Too many requests. Wait a moment and try again.',
    upload_allowance_used_up: 'You have uploaded as much as is allowed for now. Try again later.',
    headers_too_large: 'The request is too large. Reload the page and try again.',
    internal: 'Something went wrong on the server. Try again.',
    unavailable: 'The server is unavailable right now. Try again in a moment.',
    already_reported: 'You have already reported this message.',
    account_suspended: 'Your account is suspended: you cannot write for now.',
    message_hidden: 'A moderator hid this message: it can no longer be changed.',
    push_disabled: 'Notifications are not set up on this server.',
    push_endpoint_not_allowed: "This browser's notification service is not accepted by the server. Try another browser.",
    unknown_user: "This school account is not linked to anyone in the chat. Ask the school's administrator to give you access.",
    sign_in_denied: 'Signing in with the school account was cancelled or refused.',
    sign_in_failed:
      "Signing in with the school account did not work (it took too long, or the school's sign-in service could not be reached). Try again.",
  } satisfies Record<WordedCode, string>,
};

export default errors;

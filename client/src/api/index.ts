// The tutorchat REST API, typed with the types generated from the server's OpenAPI document
// (src/generated/api.ts, `npm run gen:api`): callers import it whole (`import * as api from
// './api'`) or by name. Every call goes through `request` (request.ts), which sends relative,
// same-origin requests and turns an `{"error", "code"}` body into a thrown ApiError. What a
// person reads of it comes from its `code`, in their language (errors.ts); the server's
// English sentence is for logs and developers.
//
// By area: the wire types (types.ts), sessions and sign-in (session.ts), chats and messages
// (chats.ts), groups (groups.ts), lessons (lessons.ts), inquiry links (inquiries.ts) and
// attachments (attachments.ts). Moderation, search and push have theirs beside this folder
// (moderation/moderationApi.ts, search/searchApi.ts, push/pushApi.ts).

export * from './attachments';
export * from './chats';
export * from './groups';
export * from './inquiries';
export * from './lessons';
export {
  ApiError,
  SEND_RETRY_WINDOW_MS,
  type Snapshot,
  freshness,
  hasCode,
  isTransient,
  isUnauthorized,
  notePosition,
  renewSession,
  renewable,
  request,
  resetPosition,
  retryingTransient,
} from './request';
export * from './session';
export * from './types';

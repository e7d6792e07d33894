// Where each event of moderation goes (dispatch.ts hands them here), as a pure function:
//
// - a hidden message loses its content in participants' conversations (admins keep it,
//   marked), its chat's last line says so, and its reports leave an admin's open list;
// - an unhidden message comes back whole (as `message_edited` brings a new text);
// - purged messages lose their content for everyone;
// - a participant's list is asked again after any of the three (hidden and purged messages
//   are not unread: the server recounts the badges);
// - a report or a flag goes on top of an admin's lists, and a cleared one leaves the open ones; suspensions and erasures (asked for, then done)
//   show on their people;
// - a suspension or unsuspension of our own account: `GET /api/me` says what it is now;
// - an export is only told.

import type { DispatchState, Outcome } from './outcome';
import type { ModerationEvent } from './moderationEvents';
import { fromWire } from '../conversation/knownMessages';

export function moderationOutcome(event: ModerationEvent, state: DispatchState): Partial<Outcome> {
  const { isAdmin } = state;
  const adminOnly = <T>(actions: T[]): T[] => (isAdmin ? actions : []);
  // Admins keep no unread counts.
  const recount: Outcome['effects'] = isAdmin ? [] : [{ type: 'refreshChats' }];
  switch (event.type) {
    case 'message_hidden': {
      const { chatId, messageId, hidden } = event;
      return {
        conversations: [{ type: 'chat', chatId, action: { type: 'hidden', id: messageId, hidden, keepContent: isAdmin } }],
        chats: [{ type: 'messagesRemoved', chatId, messageIds: [messageId], removal: { kind: 'hidden' } }],
        moderation: adminOnly([{ type: 'messageHidden', messageId, hidden }]),
        effects: recount,
      };
    }
    case 'message_unhidden': {
      const { chatId, message } = event;
      const { id, content, type, attachments } = fromWire(message);
      return {
        conversations: [{ type: 'chat', chatId, action: { type: 'unhidden', message } }],
        chats: [{ type: 'messageRestored', chatId, message: { id, content, type, attachments } }],
        moderation: adminOnly([{ type: 'messageUnhidden', messageId: id }]),
        effects: recount,
      };
    }
    case 'messages_purged': {
      const { chatId, messageIds, purged } = event;
      return {
        conversations: [{ type: 'chat', chatId, action: { type: 'purged', ids: messageIds, purged } }],
        chats: [{ type: 'messagesRemoved', chatId, messageIds, removal: { kind: 'purged', cause: purged.cause } }],
        moderation: adminOnly([{ type: 'messagesPurged', messageIds, purged }]),
        effects: recount,
      };
    }
    case 'message_reported':
    case 'message_flagged':
      return { moderation: adminOnly([{ type: 'reported', report: event.report }]) };
    case 'report_cleared':
      return {
        moderation: adminOnly([{ type: 'reportCleared', reportId: event.reportId, at: new Date(state.now).toISOString() }]),
      };
    case 'user_suspended': {
      const { userId, until, reason } = event;
      return {
        moderation: adminOnly([{ type: 'userSuspended', userId, suspended: { until, reason } }]),
        effects: userId === state.me ? [{ type: 'checkSuspension' }] : [],
      };
    }
    case 'user_unsuspended':
      return {
        moderation: adminOnly([{ type: 'userUnsuspended', userId: event.userId }]),
        effects: event.userId === state.me ? [{ type: 'checkSuspension' }] : [],
      };
    case 'user_erasure_requested':
      return {
        moderation: adminOnly([
          { type: 'erasureStarted', userId: event.userId, requestedAt: new Date(state.now).toISOString() },
        ]),
      };
    case 'user_erased':
      return {
        moderation: adminOnly([{ type: 'userErased', userId: event.userId, at: new Date(state.now).toISOString() }]),
      };
    // Someone left the school or came back: an admin's People tab says so, and their list is
    // fetched again (a departed teacher's chats await a hand-over, a student's are archived).
    case 'user_deactivated':
      return {
        moderation: adminOnly([{ type: 'userDeactivated', userId: event.userId, at: new Date(state.now).toISOString() }]),
        effects: isAdmin ? [{ type: 'refreshChats' }] : [],
      };
    case 'user_reactivated':
      return {
        moderation: adminOnly([{ type: 'userReactivated', userId: event.userId }]),
        effects: isAdmin ? [{ type: 'refreshChats' }] : [],
      };
    case 'chat_exported':
      return {};
  }
}

// What the conversation reducer's tests share (messages*.test.ts, compose.test.ts): two
// people, a message as the server sends it, and a conversation after some actions.

import { type ConversationAction, conversationReducer, emptyConversation } from './messages';
import type { Conversation, WireMessage } from './model';

export const ME = 7;
export const OTHER = 8;

export function wire(id: number, senderId = OTHER, content = `message ${id}`): WireMessage {
  return { id, sender_id: senderId, content, created_at: `2025-01-17T15:${String(id % 60).padStart(2, '0')}:00Z` };
}

export function run(actions: ConversationAction[], start: Conversation = emptyConversation(1)): Conversation {
  return actions.reduce(conversationReducer, start);
}

export const ids = (state: Conversation) => state.messages.map((m) => m.id);

export const loaded = (...messageIds: number[]) =>
  run([{ type: 'snapshot', messages: messageIds.map((id) => wire(id)), hasMore: false }]);

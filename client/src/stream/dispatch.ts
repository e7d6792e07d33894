// Where each event of the stream goes, as a pure function: (event, what this tab shows) → the
// reducer actions to apply and the effects to run. The workspace applies the actions to its
// reducers (chats/chatList.ts, conversation/messages.ts, groups.ts, typing.ts, presence.ts)
// and runs the effects (requests), so every routing rule is tested here without React, timers
// or a server.
//
// What is fetched, and why:
// - the chat list again (`refreshChats`, soon, merged by log position): a message or a closing
//   of a chat we do not list yet, a group message from someone we cannot name (the list names
//   the last sender), a deletion (the preview, counts and order may change), a new chat (the
//   new partner's presence comes with the list; admins have none there), our joining a group;
// - a conversation again (`loadConversation`): we rejoined an open group (what we see of it
//   starts again from now), or the stream was `reset`;
// - everything shown (`reloadChats`, the open conversation and group) after a `reset`: the
//   stream could not resume where we were.
//
// A guardian's `guardian_linked` and `guardian_unlinked` (their children changed) load the list
// anew (`reloadChats`); an admin's fetch it again (which chats guardians read changed).
//
// A reaction (`reaction_added`, `reaction_removed`) changes its message where it is loaded.
//
// A `chat_handed_over` (a departed teacher's chat given to a successor) fetches the list again:
// it names the new teacher, and brings the chat to the successor.
//
// Our own `chat_muted`, `chat_unmuted`, `chat_archived`, `chat_unarchived` (from any tab)
// change the item; an unarchived chat not listed (it was archived when the list was loaded)
// comes with the list fetched again.
//
// A guest's `chat_closed` ends their session (`endSession`): the server closed their one chat
// (idle for long, or its link revoked), ends their stream after it and refuses their
// credential from then on, so the stream must not reconnect and nothing more is asked.
//
// `streamOpened` is the same for the stream's (re)opening: presence events missed while it was
// down are not replayed, so the presence shown is fetched again; and a person whose account was
// suspended meanwhile (their stream ended then) learns it from `GET /api/me` (`checkSuspension`).
//
// Moderation's events go on to dispatchModeration.ts; an admin's moderation view
// (`moderation`: moderation.ts) follows them, and deletions, and loads its reports again
// after a `reset`. What both are given and answer (`DispatchState`, `Outcome`, `Effect`) is
// typed in outcome.ts, below them.

import { messageType } from '../attachments/attachments';
import type { ConversationAction, ConversationsAction } from '../conversation/messages';
import { moderationOutcome } from './dispatchModeration';
import type { StreamEvent } from './events';
import type { DispatchState, Effect, Outcome } from './outcome';

const nothing: Outcome = {
  chats: [],
  conversations: [],
  groups: [],
  typing: [],
  presence: [],
  people: [],
  moderation: [],
  effects: [],
};

const outcome = (parts: Partial<Outcome>): Outcome => ({ ...nothing, ...parts });

const inChat = (chatId: number, action: ConversationAction): ConversationsAction => ({ type: 'chat', chatId, action });

const refresh: Effect = { type: 'refreshChats' };

export function dispatch(event: StreamEvent, state: DispatchState): Outcome {
  const { me } = state;
  const listed = (chatId: number) => state.chatList.items.find((i) => i.id === chatId);
  switch (event.type) {
    case 'new_message': {
      const { chatId, message, position } = event;
      const senderId = message.sender_id;
      const item = listed(chatId);
      const fromOther = senderId !== me;
      const sender = item?.kind === 'group' && fromOther ? state.people.get(senderId) : undefined;
      const attachments = message.attachments ?? [];
      return outcome({
        conversations: [inChat(chatId, { type: 'received', message })],
        typing: [{ type: 'message', chatId, userId: senderId }],
        chats: [
          {
            type: 'newMessage',
            chatId,
            message: {
              id: message.id,
              senderId,
              senderName: sender?.name ?? null,
              content: message.content,
              createdAt: message.created_at,
              type: messageType(message.type, attachments),
              attachments,
            },
            position,
            me,
            readingChatId: state.readingChatId,
            // A guardian's own family chat counts unread as anyone's; their children's do not.
            ...(state.isGuardian && item?.kind !== 'family' ? { unmarked: true } : {}),
          },
        ],
        // A chat we do not list yet, or a group message from someone we cannot name.
        effects: !item || (item.kind === 'group' && fromOther && !sender) ? [refresh] : [],
      });
    }
    case 'message_deleted':
      return outcome({
        conversations: [inChat(event.chatId, { type: 'deleted', id: event.messageId })],
        moderation: state.isAdmin ? [{ type: 'messageDeleted', messageId: event.messageId }] : [],
        effects: [refresh], // the preview, counts and order may have changed
      });
    case 'message_edited': {
      const { chatId, message } = event;
      return outcome({
        conversations: [inChat(chatId, { type: 'edited', message })],
        chats: [{ type: 'messageEdited', chatId, messageId: message.id, content: message.content }],
      });
    }
    case 'messages_read': {
      const { chatId, userId, upTo, position } = event;
      return outcome({
        conversations: [inChat(chatId, { type: 'readBy', userId, upTo })],
        // Ours (from any tab): the badge follows.
        chats: userId === me ? [{ type: 'read', chatId, upTo, position }] : [],
      });
    }
    case 'chat_created':
      return outcome({
        chats: [{ type: 'chatCreated', item: event.chat, position: event.position }],
        people: event.chat.people,
        effects: state.isAdmin ? [] : [refresh], // for the new partner's presence
      });
    case 'participant_added': {
      const { chatId, user, actorId, position } = event;
      const notice = { position, kind: 'added', userId: user.id, actorId, title: null } as const;
      const added = outcome({
        people: [user],
        groups: [{ type: 'event', chatId, event: { type: 'added', position, user } }],
        conversations: [inChat(chatId, { type: 'notice', notice, me })],
        chats: [{ type: 'participantAdded', chatId, user, position, me }],
      });
      if (user.id !== me) return added;
      // We joined: the group appears with the list's next snapshot. Rejoined: what we see of it
      // starts again from now, so its conversation is forgotten (and loads again if open).
      const seen = state.conversations[chatId];
      const rejoined = seen !== undefined && seen.membership !== 'member';
      return {
        ...added,
        conversations: rejoined ? [...added.conversations, { type: 'forgot', chatId }] : added.conversations,
        effects: [
          refresh,
          ...(rejoined && state.openChatId === chatId ? [{ type: 'loadConversation', chatId } as const] : []),
        ],
      };
    }
    case 'participant_removed': {
      const { chatId, userId, actorId, position } = event;
      const notice = { position, kind: 'removed', userId, actorId, title: null } as const;
      return outcome({
        groups: [{ type: 'event', chatId, event: { type: 'removed', position, userId } }],
        conversations: [inChat(chatId, { type: 'notice', notice, me })],
        chats: [{ type: 'participantRemoved', chatId, userId, actorId, position, me }],
        typing: [{ type: 'message', chatId, userId }], // they type there no more
      });
    }
    case 'chat_renamed': {
      const { chatId, title, actorId, position } = event;
      const notice = { position, kind: 'renamed', userId: null, actorId, title } as const;
      return outcome({
        groups: [{ type: 'event', chatId, event: { type: 'renamed', position, title } }],
        conversations: [inChat(chatId, { type: 'notice', notice, me })],
        chats: [{ type: 'chatRenamed', chatId, title, position }],
      });
    }
    case 'chat_closed':
      return outcome({
        chats: [
          {
            type: 'chatClosed',
            chatId: event.chatId,
            closedAt: event.closedAt,
            position: event.position,
            reason: event.reason,
          },
        ],
        // A guest's stream carries only their own chat: its closing ends their session (the
        // server ends the stream next). Others: a chat not listed yet shows it with the list's
        // next snapshot.
        effects: state.isGuest ? [{ type: 'endSession' }] : listed(event.chatId) ? [] : [refresh],
      });
    // The chat's teacher changed: the list brings the new one (and the chat itself to the
    // successor; the departed teacher's stream has ended with their account).
    case 'chat_handed_over':
      return outcome({ people: [event.toTeacher], effects: [refresh] });
    case 'chat_setting': {
      const { chatId, setting, position } = event;
      const change =
        setting === 'chat_muted' || setting === 'chat_unmuted'
          ? { muted: setting === 'chat_muted' }
          : { archived: setting === 'chat_archived' };
      const effects = !listed(chatId) && setting === 'chat_unarchived' ? [refresh] : [];
      return outcome({ chats: [{ type: 'setting', chatId, position, ...change }], effects });
    }
    case 'closure_requested':
    case 'closure_declined':
      return outcome({ effects: [{ type: 'closuresChanged' }] });
    case 'reaction_added':
    case 'reaction_removed': {
      const { chatId, messageId, emoji, userId } = event;
      const added = event.type === 'reaction_added';
      return outcome({ conversations: [inChat(chatId, { type: 'reacted', id: messageId, emoji, userId, added })] });
    }
    case 'message_pinned':
    case 'message_unpinned':
      return nothing; // the open chat's pinned bar reads its pins again (the workspace counts the news)
    case 'guardian_linked':
    case 'guardian_unlinked':
      return state.isGuardian ? guardianOutcome(event, state) : outcome({ effects: [refresh] }); // admins: guardians_read changed
    case 'typing': {
      // Only others' typing reaches us, and never an admin's stream; kept that way here.
      if (state.isAdmin || event.userId === me) return nothing;
      const { chatId, userId, isTyping } = event;
      return outcome({ typing: [{ type: 'typing', chatId, userId, isTyping, at: state.now }] });
    }
    case 'presence': {
      const { userId, online, lastSeen } = event;
      return outcome({ presence: [{ type: 'event', userId, online, lastSeen, at: state.now }] });
    }
    case 'reset': {
      // The stream could not resume where we were: everything shown is loaded again.
      const open = state.openChatId;
      const effects: Effect[] = [{ type: 'reloadChats' }];
      if (open !== null) {
        effects.push({ type: 'loadConversation', chatId: open });
        if (state.groups[open]) effects.push({ type: 'loadGroup', chatId: open });
      }
      if (state.isAdmin) effects.push({ type: 'reloadReports' });
      return outcome({ conversations: [{ type: 'keptOnly', chatId: open }], effects });
    }
    default:
      return outcome(moderationOutcome(event, state));
  }
}

/**
 * A guardian linked to a child, or unlinked: the list is loaded anew (trusted: an unlinked
 * child's chats go from it). What was loaded of an unlinked child's chats is forgotten (the
 * server refuses their history now), and the open one among them closes.
 */
function guardianOutcome(
  event: Extract<StreamEvent, { type: 'guardian_linked' | 'guardian_unlinked' }>,
  state: DispatchState,
): Outcome {
  const reload: Effect = { type: 'reloadChats' };
  if (event.type === 'guardian_linked') return outcome({ effects: [reload] });
  const gone = state.chatList.items.filter((item) => item.ward?.id === event.studentId).map((item) => item.id);
  const closes = state.openChatId !== null && gone.includes(state.openChatId);
  return outcome({
    conversations: gone.map((chatId) => ({ type: 'forgot', chatId }) as const),
    effects: closes ? [{ type: 'closeChat' }, reload] : [reload],
  });
}

/**
 * What to fetch each time the stream (re)opens: the presence it may have missed. Participants:
 * the chat list (it carries their partners' presence); admins: the open chat's two people;
 * everyone: the open group's members, and the history of conversations opened without a network.
 */
export function streamOpened(
  state: Pick<DispatchState, 'isAdmin' | 'chatList' | 'openChatId'> & Partial<Pick<DispatchState, 'conversations'>>,
): Effect[] {
  const open = state.chatList.items.find((i) => i.id === state.openChatId);
  const effects: Effect[] = [];
  // Conversations opened without a network, their history unread: the server answers again.
  for (const conversation of Object.values(state.conversations ?? {})) {
    if (conversation.unavailable) effects.push({ type: 'loadConversation', chatId: conversation.chatId });
  }
  // A guardian reads a group's child's messages only, never its members.
  if (open?.kind === 'group' && open.membership === 'member' && !open.wardOnly) {
    effects.push({ type: 'loadGroup', chatId: open.id });
  }
  if (!state.isAdmin) {
    effects.push(refresh, { type: 'checkSuspension' });
  } else if (open && open.kind !== 'group') {
    effects.push({ type: 'fetchPresence', userIds: open.people.map((p) => p.id) });
  }
  return effects;
}

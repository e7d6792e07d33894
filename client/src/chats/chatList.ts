// The chat list as a pure reducer, for participants and admins alike. Each item remembers the
// log position of the newest event applied to it, so a snapshot that was read before that
// event (its `X-Event-Position` is lower) cannot overwrite it with older data, and an event
// delivered twice is applied once. Its shapes are model.ts's; one chat made from the server's
// answers, and what is said of it, items.ts's; merging the answers into the list, merge.ts's.
//
// Unread counts are the server's: messages of the other participant after our read marker.
// They go up with new messages (except in the chat this tab is reading right now), and down
// with `read`: our own mark (at once, before the request) and `messages_read` for us from any
// tab. A read that covers the chat's last message clears the badge; after a partial one only
// the server can count what is left, so the item is flagged `unreadStale` and the list is
// fetched again (`ownReadOutcome`).
//
// Groups: a group's members change with `participant_added` and `participant_removed`, its
// title with `chat_renamed`. Participants see a group's title and member count (the list does
// not name the members); admins see its members. When we are removed from a group (or leave
// it) its item stays, marked `left` or `removed`, so the open conversation keeps its title
// and the list says what happened; it is gone the next time the list is loaded anew (a
// reload), and a refresh keeps it at the bottom.
//
// Inquiries (a guest and a teacher) are listed like direct chats, under their link's title;
// the server closes an idle one (`chat_closed`, and `closed_at` in snapshots): it is read-only
// from then on, and stays closed whatever an older snapshot says.
//
// Archive and mute are ours alone (`setting`, from any of our tabs): a muted chat shows a mark;
// an archived one is hidden from the inbox (the server leaves it out of later snapshots) until
// its next message, which brings it back; the archived view lists them apart (ArchivedChats).
//
// Paging: the list is loaded a page at a time (`next_cursor`). A later page, and what a
// server search finds, are merged by chat id into what is loaded (the newer of the two by log
// position wins, as with snapshots) in order of last activity. A refresh of the first page
// keeps the chats it does not show (they are further down, on pages loaded before) and the
// cursor: the server ranks later pages as of the first page's log position, so the chain goes
// on without a gap, and what moved up since is listed already (live, or by the refresh). Only
// a full load (`replace`) starts over.

import { ownReadOutcome } from './items';
import { mergeFound, mergeSnapshot } from './merge';
import type { ChatItem, ChatList, ChatListAction, LastMessage } from './model';

export const initialChatList: ChatList = {
  status: 'loading',
  error: null,
  items: [],
  nextCursor: null,
  more: { status: 'idle' },
};

function toTop(items: ChatItem[], item: ChatItem): ChatItem[] {
  return [item, ...items.filter((i) => i.id !== item.id)];
}

function withRead(item: ChatItem, upTo: number): ChatItem {
  const outcome = ownReadOutcome(item, upTo);
  if (outcome === 'unchanged' && upTo <= item.lastReadId) return item;
  return {
    ...item,
    lastReadId: Math.max(item.lastReadId, upTo),
    unread: outcome === 'cleared' ? 0 : item.unread,
    unreadStale: item.unreadStale || outcome === 'refetch',
  };
}

/** `item` after `action` (a membership or title event of its chat), or `item` itself if it changes nothing. */
function withGroupEvent(
  item: ChatItem,
  action: Extract<ChatListAction, { type: 'participantAdded' | 'participantRemoved' | 'chatRenamed' }>,
): ChatItem {
  const admin = item.messagesCount !== null;
  switch (action.type) {
    case 'participantAdded': {
      const { user } = action;
      if (admin && item.people.some((p) => p.id === user.id)) return { ...item, position: action.position };
      return {
        ...item,
        people: admin ? [...item.people, user] : item.people,
        participantsCount: item.participantsCount + 1,
        membership: user.id === action.me ? 'member' : item.membership,
        position: action.position,
      };
    }
    case 'participantRemoved': {
      const people = admin ? item.people.filter((p) => p.id !== action.userId) : item.people;
      if (admin && people.length === item.people.length) return { ...item, position: action.position };
      const updated = {
        ...item,
        people,
        participantsCount: Math.max(0, item.participantsCount - 1),
        position: action.position,
      };
      if (admin || action.userId !== action.me) return updated;
      // Us: nothing more of this chat reaches us, and nothing in it is ours to read.
      const membership = action.actorId === action.me ? 'left' : 'removed';
      return { ...updated, membership, unread: 0, unreadStale: false };
    }
    case 'chatRenamed':
      return { ...item, title: action.title, position: action.position };
  }
}

export function chatListReducer(state: ChatList, action: ChatListAction): ChatList {
  switch (action.type) {
    case 'snapshot': {
      // What the snapshot shows includes every event up to its position: those must not count twice.
      const fresh = action.items.map((i) => ({ ...i, position: Math.max(i.position, action.position) }));
      const cursor = action.nextCursor ?? null;
      if (action.mode === 'replace' || state.status !== 'ready') {
        return { status: 'ready', error: null, items: fresh, nextCursor: cursor, more: { status: 'idle' } };
      }
      const items = mergeSnapshot(state.items, fresh, action.position);
      return { ...state, status: 'ready', error: null, items };
    }
    case 'loadFailed':
      return { ...state, status: 'failed', error: action.error };
    case 'pageRequested':
      if (action.cursor !== state.nextCursor) return state;
      return { ...state, more: { status: 'loading' } };
    case 'pageLoaded':
      // The list was loaded anew meanwhile (its pages start elsewhere), or this page was merged already.
      if (action.cursor !== state.nextCursor) return state;
      return {
        ...state,
        items: mergeFound(state.items, action.items, action.position),
        nextCursor: action.nextCursor,
        more: { status: 'idle' },
      };
    case 'pageFailed':
      if (action.cursor !== state.nextCursor) return state;
      return { ...state, more: { status: 'failed', error: action.error } };
    case 'found':
      if (state.status !== 'ready' || action.items.length === 0) return state;
      return { ...state, items: mergeFound(state.items, action.items, action.position) };
    case 'chatClosed': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item) return state; // a snapshot will show it
      if (action.position === null) {
        if (item.closedAt !== null) return state;
        const updated = { ...item, closedAt: action.closedAt };
        return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
      }
      if (item.position >= action.position) return state;
      // A blocked visitor of an inquiry closed earlier (idle): closed since then, blocked now.
      const reason = action.reason ?? item.closedReason;
      const updated = {
        ...item,
        closedAt: item.closedAt ?? action.closedAt,
        position: action.position,
        ...(reason === undefined ? {} : { closedReason: reason }),
      };
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case 'chatCreated':
      if (state.items.some((i) => i.id === action.item.id)) return state;
      return { ...state, items: [{ ...action.item, position: action.position }, ...state.items] };
    case 'newMessage': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item || item.position >= action.position) return state;
      const { message } = action;
      const fromOther = message.senderId !== action.me;
      const counts = item.messagesCount === null;
      const updated: ChatItem = {
        ...item,
        lastMessage: counts ? message : null,
        lastActivityAt: message.createdAt,
        unread:
          counts && fromOther && !action.unmarked && action.chatId !== action.readingChatId ? item.unread + 1 : item.unread,
        messagesCount: item.messagesCount === null ? null : item.messagesCount + 1,
        archived: false, // a new message brings an archived chat back
        position: action.position,
      };
      return { ...state, items: toTop(state.items, updated) };
    }
    case 'ownMessageSaved': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item) return state;
      // The stream may already have shown this message (its echo) or a newer one (someone
      // answered at once).
      if (item.lastMessage && item.lastMessage.id >= action.message.id) return state;
      if (item.lastActivityAt !== null && Date.parse(item.lastActivityAt) > Date.parse(action.message.createdAt)) {
        return state;
      }
      const updated: ChatItem = { ...item, lastMessage: action.message, lastActivityAt: action.message.createdAt };
      return { ...state, items: toTop(state.items, updated) };
    }
    case 'messageEdited': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item?.lastMessage || item.lastMessage.id !== action.messageId) return state;
      if (item.lastMessage.content === action.content) return state;
      const updated = { ...item, lastMessage: { ...item.lastMessage, content: action.content } };
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case 'messagesRemoved': {
      const item = state.items.find((i) => i.id === action.chatId);
      const last = item?.lastMessage;
      if (!item || !last || !action.messageIds.includes(last.id)) return state;
      if (last.removed?.kind === 'purged') return state; // for good
      if (last.removed?.kind === action.removal.kind && action.removal.kind === 'hidden') return state;
      const lastMessage: LastMessage = { ...last, content: '', type: 'text', attachments: [], removed: action.removal };
      return { ...state, items: state.items.map((i) => (i === item ? { ...item, lastMessage } : i)) };
    }
    case 'messageRestored': {
      const item = state.items.find((i) => i.id === action.chatId);
      const last = item?.lastMessage;
      if (!item || !last || last.id !== action.message.id || last.removed?.kind !== 'hidden') return state;
      const lastMessage: LastMessage = { ...last, ...action.message, removed: null };
      return { ...state, items: state.items.map((i) => (i === item ? { ...item, lastMessage } : i)) };
    }
    case 'read': {
      const item = state.items.find((i) => i.id === action.chatId);
      // A snapshot read after this event already shows it.
      if (!item || (action.position !== null && item.position >= action.position)) return state;
      const read = withRead(item, action.upTo);
      const updated = action.position === null ? read : { ...read, position: action.position };
      return updated === item ? state : { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case 'setting': {
      const item = state.items.find((i) => i.id === action.chatId);
      if (!item || item.position >= action.position) return state;
      const updated = {
        ...item,
        muted: action.muted ?? item.muted,
        archived: action.archived ?? item.archived,
        position: action.position,
      };
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
    case 'participantAdded':
    case 'participantRemoved':
    case 'chatRenamed': {
      const item = state.items.find((i) => i.id === action.chatId);
      // Not listed yet (a snapshot will show it), or a snapshot read after this event already does.
      if (!item || item.position >= action.position) return state;
      const updated = withGroupEvent(item, action);
      return { ...state, items: state.items.map((i) => (i === item ? updated : i)) };
    }
  }
}

export function hasChat(state: ChatList, chatId: number): boolean {
  return state.items.some((i) => i.id === chatId);
}

/** Whether some unread count is out of date and the list should be fetched again. */
export function needsRefetch(state: ChatList): boolean {
  return state.items.some((i) => i.unreadStale);
}

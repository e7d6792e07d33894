// What the user does, as requests whose answers go to the store: sending (optimistic, with a
// retry that the server recognises by its Idempotency-Key), editing and deleting messages, and
// managing groups (create, rename, add and remove members, leave). The stream's events bring
// the same changes to our other tabs, and to this one again (the reducers apply each once).
// A teacher's message inside quiet hours is held (202): it leaves the pending ones and is shown
// as held (quiet/useHeldMessages) until the stream delivers it.

import { useCallback, useEffect, useRef } from 'react';

import * as api from './api';
import { isTransient } from './api/request';
import { messageType } from './attachments/attachments';
import type { Conversations } from './conversation/messages';
import type { ReplyRef } from './conversation/model';
import type { OutboxEntry } from './offline/outbox';
import { useOutbox } from './offline/useOutbox';
import { followPersonChange } from './session/forget';
import { useSession } from './session/SessionContext';
import type { ChatLoading } from './useChatLoading';
import type { Store } from './useWorkspaceStore';

export interface Commands {
  /** Sends a message: its text (may be empty beside attachments) and the files uploaded for it. */
  send: (chatId: number, content: string, replyTo: ReplyRef | null, attachments?: readonly api.Attachment[]) => void;
  retry: (chatId: number, key: string) => void;
  discard: (chatId: number, key: string) => void;
  /** Deletes one of our messages; rejects with the server's reason. */
  remove: (chatId: number, messageId: number) => Promise<void>;
  /** Changes the text of one of our messages; rejects with the server's reason. */
  edit: (chatId: number, messageId: number, content: string) => Promise<void>;
  /** Creates a group (teachers and admins); resolves with its id, rejects with the server's reason. */
  createGroup: (title: string, memberIds: number[], mode?: api.GroupMode) => Promise<number>;
  /** Renames a group (its owner or an admin); rejects with the server's reason. */
  renameGroup: (chatId: number, title: string) => Promise<void>;
  /** Adds a member to a group (its owner or an admin); rejects with the server's reason. */
  addMember: (chatId: number, userId: number) => Promise<void>;
  /** Removes a member (its owner or an admin), or leaves (our own id); rejects with the server's reason. */
  removeMember: (chatId: number, userId: number) => Promise<void>;
}

let pendingCounter = 0;
/**
 * A pending message's key: its local id while it is sent, and its `Idempotency-Key`, so every
 * retry of one message is recognised by the server as the same message. Random (not just a
 * counter), as it must not repeat across tabs, reloads and devices of one user.
 */
const pendingKey = () => {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0'));
  return `pending-${Date.now()}-${++pendingCounter}-${random.join('')}`;
};

type Loaders = Pick<ChatLoading, 'loadChats' | 'refreshChatsSoon' | 'groupLoaded'>;

/**
 * `onHeld`: a message quiet hours hold (a 202 to a send). `conversations`: as rendered, for the
 * outbox to show its kept messages in them.
 */
export function useCommands(
  store: Store,
  loaders: Loaders,
  onHeld: (held: api.HeldMessage) => void,
  conversations: Conversations,
): Commands {
  const { me } = useSession();
  const { latest, inChat, failed } = store;
  const { loadChats, refreshChatsSoon, groupLoaded } = loaders;
  const resend = useRef<(entry: OutboxEntry) => void>(() => {});
  const outbox = useOutbox(store, conversations, resend);
  /** The messages on their way now: the outbox never sends one twice at once. */
  const sending = useRef(new Set<string>());

  /** Sends a message as `author`, who wrote it (the outbox keeps it across reloads: see `expected_user_mismatch`). */
  const deliver = useCallback(
    async (chatId: number, key: string, author: number, content: string, replyToId: number | null, attachmentIds: number[]) => {
      if (sending.current.has(key)) return;
      sending.current.add(key);
      try {
        const answer = await api.sendMessage(chatId, content, key, replyToId, attachmentIds, author);
        outbox.done(key);
        if (answer.kind === 'held') {
          // Quiet hours hold it: not a failure, and not in the chat yet; it shows as held
          // (quiet/) until the stream delivers it.
          inChat(chatId, { type: 'discarded', key });
          onHeld(answer.held);
          return;
        }
        const saved = answer.message;
        inChat(chatId, { type: 'sendSucceeded', key, message: saved });
        const attachments = saved.attachments ?? [];
        const message = {
          id: saved.id,
          senderId: saved.sender_id,
          senderName: null,
          content: saved.content,
          createdAt: saved.created_at,
          type: messageType(saved.type, attachments),
          attachments,
        };
        store.chats({ type: 'ownMessageSaved', chatId, message });
      } catch (error) {
        // No answer (the network, a replica down): kept, and sent when the network returns.
        // Without a network it stays pending meanwhile; with one, it shows Retry as before.
        if (!isTransient(error)) outbox.done(key);
        // Someone else signed in on this browser since it was written (another tab): it is not
        // sent as them, nor kept (the device keeps nothing of a person once another signs in),
        // and this tab, still showing its author's session, starts again as whoever it is now.
        if (api.hasCode(error, 'expected_user_mismatch')) {
          followPersonChange();
          return;
        }
        else if (!navigator.onLine) return;
        inChat(chatId, { type: 'sendFailed', key, error: failed(error) });
        // An inquiry refuses messages once closed: its details say since when (the
        // `chat_closed` event may still be on its way, or long past for a chat of a later page).
        const item = latest.current.chatList.items.find((i) => i.id === chatId);
        if (api.hasCode(error, 'chat_closed') && item?.kind === 'inquiry' && item.closedAt === null) {
          api.chatDetails(chatId).then(
            ({ closed_at: closedAt }) => {
              if (closedAt) store.chats({ type: 'chatClosed', chatId, closedAt, position: null });
            },
            () => {}, // the message says why it was not sent; the event will tell the rest
          );
        }
      } finally {
        sending.current.delete(key);
      }
    },
    [store, latest, inChat, failed, onHeld, outbox],
  );

  useEffect(() => {
    resend.current = (entry) => {
      const pending = latest.current.conversations[entry.chatId]?.pending.find((p) => p.key === entry.key);
      if (pending?.status === 'failed') inChat(entry.chatId, { type: 'retried', key: entry.key });
      void deliver(entry.chatId, entry.key, entry.senderId, entry.content, entry.replyTo?.id ?? null, entry.attachments.map((a) => a.id));
    };
  }, [latest, inChat, deliver]);

  const send = useCallback(
    (chatId: number, content: string, replyTo: ReplyRef | null, attachments: readonly api.Attachment[] = []) => {
      const key = pendingKey();
      const createdAt = new Date().toISOString();
      inChat(chatId, { type: 'sendStarted', key, senderId: me.id, content, createdAt, replyTo, attachments });
      outbox.add({ key, chatId, senderId: me.id, content, createdAt, replyTo, attachments });
      void deliver(chatId, key, me.id, content, replyTo?.id ?? null, attachments.map((a) => a.id));
    },
    [inChat, deliver, me.id, outbox],
  );

  const retry = useCallback(
    (chatId: number, key: string) => {
      const pending = latest.current.conversations[chatId]?.pending.find((p) => p.key === key);
      if (!pending || pending.status !== 'failed') return;
      inChat(chatId, { type: 'retried', key });
      void deliver(chatId, key, pending.senderId, pending.content, pending.replyTo?.id ?? null, pending.attachments.map((a) => a.id));
    },
    [latest, inChat, deliver],
  );

  const discard = useCallback(
    (chatId: number, key: string) => {
      outbox.done(key);
      inChat(chatId, { type: 'discarded', key });
    },
    [inChat, outbox],
  );

  /** Runs a request; a failure rejects with the reason in words (and a 401 signs out). */
  const attempt = useCallback(
    async <T>(request: () => Promise<T>): Promise<T> => {
      try {
        return await request();
      } catch (error) {
        throw new Error(failed(error));
      }
    },
    [failed],
  );

  const remove = useCallback(
    async (chatId: number, messageId: number) => {
      await attempt(() => api.deleteMessage(messageId));
      inChat(chatId, { type: 'deleted', id: messageId });
      refreshChatsSoon();
    },
    [attempt, inChat, refreshChatsSoon],
  );

  const edit = useCallback(
    async (chatId: number, messageId: number, content: string) => {
      const saved = await attempt(() => api.editMessage(messageId, content));
      inChat(chatId, { type: 'edited', message: saved });
      store.chats({ type: 'messageEdited', chatId, messageId, content: saved.content });
    },
    [store, attempt, inChat],
  );

  /** Runs a group change; its answer (the group as it is now) is applied like a snapshot. */
  const manage = useCallback(
    async (change: () => Promise<api.ChatDetails | void>) => {
      const after = store.handledPosition.current;
      const requestedAt = Date.now();
      const details = await attempt(change);
      if (details) groupLoaded(details, after, requestedAt);
      return details;
    },
    [store, attempt, groupLoaded],
  );

  const createGroup = useCallback(
    async (title: string, memberIds: number[], mode: api.GroupMode = {}) => {
      const details = await manage(() => api.createGroup(title, memberIds, null, mode));
      // The list shows it with its next snapshot (its events may come first: they wait for it).
      void loadChats('refresh');
      return details!.id;
    },
    [manage, loadChats],
  );

  const renameGroup = useCallback(
    async (chatId: number, title: string) => void (await manage(() => api.renameChat(chatId, title))),
    [manage],
  );
  const addMember = useCallback(
    async (chatId: number, userId: number) => void (await manage(() => api.addParticipant(chatId, userId))),
    [manage],
  );
  // The event that follows tells the list, the members and the conversation (also when we left).
  const removeMember = useCallback(
    async (chatId: number, userId: number) => void (await manage(() => api.removeParticipant(chatId, userId))),
    [manage],
  );

  return { send, retry, discard, remove, edit, createGroup, renameGroup, addMember, removeMember };
}

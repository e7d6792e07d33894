import { Fragment, type ReactNode, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

import { messagePreview } from '../attachments/attachments';
import { type KnownPerson, noticeText } from '../groups';
import { shownNotices } from '../conversation/historyWindow';
import type { Conversation, Message, Notice, PendingMessage } from '../conversation/model';
import { bubbleSide, isReadByOthers, withNotices } from '../conversation/queries';
import { useLocale } from '../i18n';
import { dayKey, dayLabel } from '../time';
import { useHighlight } from '../useHighlight';
import { useNow } from '../useNow';
import { isActionable } from '../moderation/removal';
import { useSession } from '../session/SessionContext';
import { useMessageEditing } from '../conversation/useMessageEditing';
import { ConfirmDialog } from './ConfirmDialog';
import { AddReaction, Reactions } from '../reactions/Reactions';
import { type BubbleMessage, MessageBubble, senderLabel } from './MessageBubble';
import { type MessageModerationProps, useMessageModeration } from '../moderation/MessageModeration';

interface Props {
  conversation: Conversation;
  /** Everyone whose name is known (and role, where known), by id. */
  people: ReadonlyMap<number, KnownPerson>;
  readOnly: boolean;
  /** A closed inquiry (or a suspended account): nothing in it can be written, changed or answered any more. */
  closed?: boolean;
  /** Reporting (participants) and hiding (admins). */
  moderation: MessageModerationProps;
  /** Reacting to messages (a participant of an open chat); else reactions are only shown. */
  canReact: boolean;
  /** A group: others' messages show their sender's name and avatar; system lines are shown. */
  group: boolean;
  onLoadOlder: () => void;
  /** A window opened at a message: the next newer page (while newer messages exist). */
  onLoadNewer: () => void;
  /** A window opened at a message: back to the newest messages. */
  onJumpToLatest: () => void;
  /** The message to focus (`conversation.focus`) has been brought into view, or is not there. */
  onFocusDone: () => void;
  onRetry: (key: string) => void;
  onDiscard: (key: string) => void;
  onDelete: (messageId: number) => Promise<void>;
  onEdit: (messageId: number, content: string) => Promise<void>;
  onReply: (message: Message) => void;
  /** Whether the newest messages are on screen, whenever that changes (never in a window of older ones). */
  onAtBottomChange: (atBottom: boolean) => void;
  /** Those who may pin: which messages are pinned, and pinning (`true`) or unpinning one. */
  pins?: { pinned: ReadonlySet<number>; onToggle: (messageId: number, on: boolean) => void };
  /** A group's "Seen by N of M" under a saved message, where it shows one. */
  seenBy?: (message: Message) => ReactNode;
}

/** Within this many pixels of an edge counts as at it. */
const BOTTOM_SLACK = 48;
const TOP_PRELOAD = 240;

const nearBottom = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;

const nearEnd = (el: HTMLElement) => el.scrollHeight - el.scrollTop - el.clientHeight < TOP_PRELOAD;

interface Seen {
  firstId: number | null;
  lastId: number;
  pendingCount: number;
  scrollHeight: number;
  /** The window was not at the newest: what was added at its end was a page, not live messages. */
  hasNewer: boolean;
}

export function MessageList(props: Props) {
  const { conversation, people, readOnly, group, onLoadOlder, onLoadNewer, onAtBottomChange, onFocusDone } = props;
  const { t, locale } = useLocale();
  const { me } = useSession();
  const editingAllowed = useMessageEditing();
  const now = useNow(60_000);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const seen = useRef<Seen | null>(null);
  const [unseen, setUnseen] = useState(0);
  // The screen reader's last announcement, and the message it was of.
  const [announcement, setAnnouncement] = useState<{ id: number; text: string } | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [editingId, setEditingId] = useState<number | null>(null);
  const { highlightId, reveal } = useHighlight(scroller);
  const mounted = useRef(false);
  const moderation = useMessageModeration(props.moderation);

  const { messages, pending, hasMore, loadingOlder, hasNewer, loadingNewer, focus } = conversation;
  const notices = shownNotices(conversation);

  /**
   * Records whether the bottom is in view and tells the workspace (it marks messages read): the
   * bottom of a window of older messages is not the newest, so that is never reading.
   */
  const setAtBottom = useCallback(
    (value: boolean) => {
      atBottom.current = value;
      onAtBottomChange(value && !hasNewer);
    },
    [onAtBottomChange, hasNewer],
  );
  useEffect(() => {
    onAtBottomChange(atBottom.current && !hasNewer);
    return () => onAtBottomChange(false);
  }, [onAtBottomChange, hasNewer]);
  useEffect(() => {
    mounted.current = true;
  }, []);

  const firstId = messages[0]?.id ?? null;
  const lastId = messages[messages.length - 1]?.id ?? 0;
  const noticeCount = notices.length; // a new system line keeps a reader at the bottom there

  // Keep the view where the reader expects it: at the bottom on open and for new messages
  // (unless they scrolled up), and in place when older messages are added above.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const before = seen.current;
    seen.current = { firstId, lastId, pendingCount: pending.length, scrollHeight: el.scrollHeight, hasNewer };
    if (before === null) {
      // Opened at a message: the effect below brings it into view instead.
      if (focus !== null && messages.some((m) => m.id === focus)) return;
      el.scrollTop = el.scrollHeight;
      setAtBottom(true);
      return;
    }
    const prepended = firstId !== null && before.firstId !== null && firstId < before.firstId;
    if (prepended && !atBottom.current) {
      el.scrollTop += el.scrollHeight - before.scrollHeight;
    }
    // Messages added at the end of a window at the newest arrived live; at the end of a window
    // of older ones they are the next page, and the reader stays where they are.
    const live = !before.hasNewer;
    const arrived = live ? messages.filter((m) => m.id > before.lastId && m.senderId !== me.id) : [];
    const sentNow = pending.length > before.pendingCount;
    if ((atBottom.current && live) || sentNow) {
      el.scrollTop = el.scrollHeight;
      setAtBottom(true);
    } else if (arrived.length > 0) {
      setUnseen((n) => n + arrived.length);
    }
    const latest = arrived[arrived.length - 1];
    if (latest) {
      setAnnouncement({
        id: latest.id,
        text: t('conversation.announcement', {
          name: senderLabel(people, latest.senderId, t),
          text: messagePreview(latest, t),
        }),
      });
    }
    // `focus` is read when the list opens only: the effect below follows it.
  }, [firstId, lastId, pending.length, noticeCount, messages, me.id, people, setAtBottom, t, hasNewer]);

  // A message to focus (a search result): brought into view (at once when the list opens with
  // it, smoothly in a list already shown) and marked; then the conversation forgets it.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (focus === null || !el) return;
    const target = el.querySelector(`[data-testid="message-${focus}"]`);
    // Where the view ends once the message is centred (a smooth scroll gets there later).
    const centre = target ? target.getBoundingClientRect().top + target.clientHeight / 2 - el.getBoundingClientRect().top : 0;
    const top = Math.min(Math.max(el.scrollTop + centre - el.clientHeight / 2, 0), el.scrollHeight - el.clientHeight);
    if (reveal(focus, mounted.current)) setAtBottom(el.scrollHeight - top - el.clientHeight < BOTTOM_SLACK);
    onFocusDone();
  }, [focus, reveal, onFocusDone, setAtBottom]);

  // When the view gets shorter (the composer grows, the window or keyboard resizes), a reader
  // at the bottom stays at the bottom; when it gets taller, the bottom may come into view.
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      else setAtBottom(nearBottom(el));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [setAtBottom]);

  // A short history that does not fill the view cannot be scrolled: load more right away.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || el.scrollHeight > el.clientHeight) return;
    if (hasMore && !loadingOlder) onLoadOlder();
    if (hasNewer && !loadingNewer) onLoadNewer();
  }, [hasMore, loadingOlder, hasNewer, loadingNewer, messages.length, onLoadOlder, onLoadNewer]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    setAtBottom(nearBottom(el));
    if (atBottom.current && unseen > 0) setUnseen(0);
    if (el.scrollTop < TOP_PRELOAD && hasMore && !loadingOlder) onLoadOlder();
    if (nearEnd(el) && hasNewer && !loadingNewer) onLoadNewer();
  };

  // An image of a size the server could not tell grows as it loads: a reader at the bottom stays there.
  const onImageLoad = () => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  };

  const toBottom = () => {
    const el = scroller.current;
    if (!el) return;
    const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    el.scrollTo({ top: el.scrollHeight, behavior: reduceMotion ? 'auto' : 'smooth' });
    setUnseen(0);
  };

  /** From a quote to the message it quotes, if it is loaded: scrolled into view and marked. */
  const jumpTo = (id: number) => void reveal(id, true);

  const saveEdit = async (id: number, content: string) => {
    await props.onEdit(id, content);
    setEditingId((editing) => (editing === id ? null : editing));
  };

  const confirmDelete = async () => {
    if (confirming === null) return;
    setDeleting(true);
    setDeleteError(null);
    try {
      await props.onDelete(confirming);
      setConfirming(null);
    } catch (error) {
      setDeleteError(error instanceof Error ? error.message : String(error));
    } finally {
      setDeleting(false);
    }
  };

  // Saved messages with the group's system lines among them, then the messages being sent.
  const rows: Array<BubbleMessage | { notice: Notice }> = [
    ...withNotices(messages, notices).map((row) => ('message' in row ? { saved: row.message } : row)),
    ...pending.map((p) => ({ pending: p })),
  ];
  const items = rows.filter((row): row is BubbleMessage => !('notice' in row));
  // For each row, the message shown before it (system lines between them aside): days and runs.
  const shownBefore: Array<Message | PendingMessage | undefined> = [];
  let last: Message | PendingMessage | undefined;
  for (const row of rows) {
    shownBefore.push(last);
    if (!('notice' in row)) last = bubbleMessage(row);
  }
  const nameOf = (id: number) => people.get(id)?.name ?? null;

  return (
    <div className="message-area">
      <div
        className="messages"
        ref={scroller}
        onScroll={onScroll}
        onLoad={onImageLoad}
        tabIndex={0}
        aria-label={t('conversation.messages')}
      >
        <div className="history-edge">
          {hasMore ? (
            <button type="button" className="link-button" onClick={onLoadOlder} disabled={loadingOlder}>
              {t(loadingOlder ? 'conversation.loadingOlder' : 'conversation.loadOlder')}
            </button>
          ) : (
            <span className="muted small">{items.length > 0 ? t('conversation.beginning') : ''}</span>
          )}
          {conversation.olderError && <span className="error small"> {conversation.olderError}</span>}
        </div>
        {items.length === 0 && (
          <div className="empty-state">
            <span className="empty-icon" aria-hidden="true">👋</span>
            <p>{t(readOnly ? 'conversation.emptyAdmin' : 'conversation.empty')}</p>
          </div>
        )}
        <ol className="message-list">
          {rows.map((item, index) => {
            if ('notice' in item) {
              const { notice } = item;
              return (
                <li key={`n${notice.position}`} className="system-line" data-testid={`notice-${notice.position}`}>
                  <span>{noticeText(notice, nameOf, me.id, t)}</span>
                </li>
              );
            }
            const message = bubbleMessage(item);
            const previous = index > 0 ? rows[index - 1] : undefined;
            const before = shownBefore[index];
            const newDay = !before || dayKey(before.createdAt) !== dayKey(message.createdAt);
            // A system line between two messages starts a new run.
            const firstOfRun = newDay || !previous || 'notice' in previous || before?.senderId !== message.senderId;
            const key = 'saved' in item ? `m${item.saved.id}` : item.pending.key;
            const saved = 'saved' in item ? item.saved : null;
            const own = !readOnly && message.senderId === me.id;
            // Nothing is done with a hidden or purged message but (for admins) unhiding it.
            const writable = !readOnly && !props.closed && (saved === null || isActionable(saved));
            const named = readOnly || (group && message.senderId !== me.id);
            const sender = people.get(message.senderId) ?? {
              id: message.senderId,
              name: senderLabel(people, message.senderId, t),
            };
            return (
              <Fragment key={key}>
                {newDay && (
                  <li className="day-separator">
                    <span>{dayLabel(message.createdAt, now, t, locale)}</span>
                  </li>
                )}
                <MessageBubble
                  item={item}
                  side={bubbleSide(message.senderId, me.id)}
                  firstOfRun={firstOfRun}
                  senderName={named && firstOfRun ? senderLabel(people, message.senderId, t) : null}
                  avatar={group && message.senderId !== me.id ? (firstOfRun ? sender : null) : undefined}
                  quoteSender={message.replyTo?.senderId != null ? senderLabel(people, message.replyTo.senderId, t) : null}
                  isRead={saved && own ? isReadByOthers(conversation, saved) : null}
                  seenBy={saved && props.seenBy?.(saved)}
                  canDelete={own && !readOnly && !props.closed}
                  canEdit={own && writable && editingAllowed}
                  canReply={writable}
                  canRetry={writable}
                  {...moderation.actions(saved)}
                  pinned={saved && writable && props.pins ? props.pins.pinned.has(saved.id) : undefined}
                  onTogglePin={props.pins?.onToggle}
                  editing={saved !== null && saved.id === editingId}
                  highlighted={saved !== null && saved.id === highlightId}
                  onDelete={(id) => {
                    setDeleteError(null);
                    setConfirming(id);
                  }}
                  onRetry={props.onRetry}
                  onDiscard={props.onDiscard}
                  onReply={props.onReply}
                  onStartEdit={setEditingId}
                  onCancelEdit={() => setEditingId(null)}
                  onSaveEdit={saveEdit}
                  onQuoteClick={jumpTo}
                  reactions={
                    saved && (
                      <Reactions message={saved} people={people} me={me.id} canReact={props.canReact && writable} />
                    )
                  }
                  addReaction={saved && props.canReact && writable && <AddReaction message={saved} me={me.id} />}
                />
              </Fragment>
            );
          })}
        </ol>
        {hasNewer && (
          <div className="history-edge">
            <button type="button" className="link-button" data-testid="load-newer" onClick={onLoadNewer} disabled={loadingNewer}>
              {t(loadingNewer ? 'conversation.loadingNewer' : 'conversation.loadNewer')}
            </button>
            {conversation.newerError && <span className="error small"> {conversation.newerError}</span>}
          </div>
        )}
      </div>
      {hasNewer ? (
        <button type="button" className="new-messages-pill" data-testid="jump-to-latest" onClick={props.onJumpToLatest}>
          {t('conversation.jumpToLatest')}
        </button>
      ) : (
        unseen > 0 && (
          <button type="button" className="new-messages-pill" data-testid="new-messages" onClick={toBottom}>
            {t('conversation.newMessages', { count: unseen })}
          </button>
        )
      )}
      <div className="visually-hidden" aria-live="polite" data-testid="announcer">
        {/* Not once its message is deleted, hidden or purged: its text leaves the page with it. */}
        {announcement && messages.some((m) => m.id === announcement.id && isActionable(m)) ? announcement.text : ''}
      </div>
      {moderation.ui}
      {confirming !== null && (
        <ConfirmDialog
          title={t('deleteDialog.title')}
          confirmLabel={t('deleteDialog.confirm')}
          busy={deleting}
          error={deleteError}
          onConfirm={() => void confirmDelete()}
          onCancel={() => setConfirming(null)}
        >
          {t('deleteDialog.body')}
        </ConfirmDialog>
      )}
    </div>
  );
}

const bubbleMessage = (item: BubbleMessage): Message | PendingMessage => ('saved' in item ? item.saved : item.pending);

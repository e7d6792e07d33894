// One chat of the list (ChatList, ArchivedChats): its avatar, name, last message or who is
// typing, and its marks (closed, unread, muted).

import type { KeyboardEvent, ReactNode } from 'react';

import type { ChatItem } from '../chats/model';
import type { People } from '../groups';
import { useLocale } from '../i18n';
import { rowInfo } from '../inbox';
import { type PresenceMap, presenceOf } from '../presence';
import { lastLineText } from '../moderation/removal';
import { useSession } from '../session/SessionContext';
import { fullDateTime, relativeTime } from '../time';
import { typingText } from '../typing';
import { Avatar } from './Avatar';

export interface ItemProps {
  item: ChatItem;
  now: Date;
  active: boolean;
  /** Who else is typing in this chat. */
  typists: number[];
  people: People;
  presence: PresenceMap;
  onOpen: () => void;
}

export function ChatListItem({ item, now, active, typists, people, presence, onOpen }: ItemProps) {
  const { t, locale } = useLocale();
  const { me } = useSession();
  const admin = item.messagesCount !== null;
  const group = item.kind === 'group';
  const online = !group && item.people.some((p) => presenceOf(presence, p.id)?.online);
  const row = rowInfo(item, t);
  const { title } = row;
  const unreadLabel = t('chatList.unread', { count: item.unread });
  // A group names who types, when it knows them all.
  const typistNames = typists.map((id) => people.get(id)?.name);
  const typingLine =
    typists.length === 0
      ? null
      : group && typistNames.every((name) => name !== undefined)
        ? typingText(typistNames as string[], t)
        : t('typing.short');
  const last = item.lastMessage;
  const senderName = (id: number, named: string | null) =>
    id === me.id ? t('chatList.you') : (named ?? people.get(id)?.name ?? '…');
  // A file or an image without text says what it is ("🖼 Photo", "📎 решение.txt"); a hidden
  // or purged message, only that it is.
  const lastPreview = last && lastLineText(last, t);
  const lastText = last
    ? group
      ? t('chatList.senderPreview', { name: senderName(last.senderId, last.senderName), text: lastPreview })
      : lastPreview
    : t('chatList.noMessages');
  const ended = item.membership !== 'member';
  const meta: { key: string; node: ReactNode }[] = [];
  if (!ended && !typingLine) {
    if (row.closed) {
      meta.push({ key: 'closed', node: <span className="closed-mark" data-testid={`closed-${item.id}`}>{t('chatList.closed')}</span> });
    }
    if (row.who !== null) meta.push({ key: 'who', node: <span data-testid={`who-${item.id}`}>{row.who}</span> });
    if (group) {
      meta.push({
        key: 'members',
        node: <span data-testid={`members-${item.id}`}>{t('chatList.members', { count: item.participantsCount })}</span>,
      });
    }
    if (item.children.length > 0) {
      meta.push({
        key: 'children',
        node: <span data-testid={`children-${item.id}`}>{t('families.about', { names: item.children.join(', ') })}</span>,
      });
    }
    if (item.subjects.length > 0) {
      meta.push({
        key: 'subjects',
        node: (
          <span data-testid={`subjects-${item.id}`}>
            <span className="visually-hidden">{t('chatList.subjectsLabel')} </span>
            {item.subjects.join(', ')}
          </span>
        ),
      });
    }
    if ((item.kind === 'direct' || item.kind === 'family') && !admin && item.people[0]) {
      meta.push({ key: 'role', node: <span>{t(`roles.${item.people[0].role}`)}</span> });
    }
  }
  const classes = ['chat-item', active ? 'active' : '', item.unread > 0 ? 'has-unread' : '', ended ? 'ended' : '']
    .filter(Boolean)
    .join(' ');

  return (
    <button
      type="button"
      className={classes}
      data-testid={`chat-${item.id}`}
      data-kind={item.kind}
      data-membership={item.membership}
      data-closed={row.closed ? 'true' : undefined}
      aria-current={active ? 'true' : undefined}
      onClick={onOpen}
    >
      {group ? (
        <span className="avatars avatars-1">
          <Avatar person={{ id: item.id, name: title }} group />
        </span>
      ) : (
        <span className={`avatars avatars-${item.people.length}`}>
          {item.people.map((p) => (
            <Avatar key={p.id} person={p} presence={presenceOf(presence, p.id)} />
          ))}
        </span>
      )}
      <span className="chat-item-text">
        <span className="chat-item-top">
          <span className="chat-item-name">
            {title}
            {online && <span className="visually-hidden">, {t('presence.online')}</span>}
          </span>
          {item.wardOnly && item.ward && (
            <span className="role role-small" data-testid={`ward-only-${item.id}`}>
              {t('guardians.wardOnly', { name: item.ward.name })}
            </span>
          )}
          {item.participantDeparted && (
            <span className="role role-small" data-testid={`departed-${item.id}`}>
              {t('chatList.departed')}
            </span>
          )}
          {item.muted && (
            <span className="muted-mark" data-testid={`muted-${item.id}`} title={t('chatList.mutedMark')}>
              <span aria-hidden="true">🔕</span>
              <span className="visually-hidden">, {t('chatList.mutedMark')}</span>
            </span>
          )}
          {row.badge && (
            <span className={`role role-${row.badge} role-small`} data-testid={`badge-${item.id}`}>
              {t(`roles.${row.badge}`)}
            </span>
          )}
          {item.lastActivityAt && (
            <time
              className="chat-item-time"
              dateTime={item.lastActivityAt}
              title={fullDateTime(item.lastActivityAt, locale)}
            >
              {relativeTime(item.lastActivityAt, now, t, locale)}
            </time>
          )}
        </span>
        <span className="chat-item-bottom">
          {ended ? (
            <span className="chat-item-preview" data-testid={`ended-${item.id}`}>
              {t(item.membership === 'left' ? 'chatList.left' : 'chatList.removed')}
            </span>
          ) : typingLine ? (
            <span className="chat-item-preview typing-text" data-testid={`typing-${item.id}`}>
              {typingLine}
            </span>
          ) : (
            <span className="chat-item-preview" data-testid={`preview-${item.id}`}>
              {admin ? t('chatList.messages', { count: item.messagesCount ?? 0 }) : lastText}
            </span>
          )}
          {item.unread > 0 && (
            <span className="badge" data-testid={`unread-${item.id}`} data-count={item.unread} title={unreadLabel}>
              <span aria-hidden="true">{item.unread > 99 ? '99+' : item.unread.toLocaleString(locale)}</span>
              <span className="visually-hidden">{unreadLabel}</span>
            </span>
          )}
        </span>
        {/* What the chat is (closed, whose, its members, subjects, the other's role): after the
            last message, on a line of its own, so that a phone still shows the message. */}
        {meta.length > 0 && (
          <span className="chat-item-meta" data-testid={`meta-${item.id}`}>
            {meta.map((part, i) => (
              <span key={part.key}>
                {i > 0 && ' · '}
                {part.node}
              </span>
            ))}
          </span>
        )}
      </span>
    </button>
  );
}

const MOVES = ['ArrowDown', 'ArrowUp', 'Home', 'End'];

/**
 * The list's arrow keys, for its `onKeyDown`: from a chat, ArrowDown and ArrowUp move the focus to
 * the next and the previous chat, Home and End to the first and the last (Tab still goes
 * through every control, a chat's actions included); Enter opens the chat focused.
 */
export function moveBetweenChats(event: KeyboardEvent<HTMLElement>): void {
  const from = event.target;
  if (!MOVES.includes(event.key) || !(from instanceof HTMLElement) || !from.classList.contains('chat-item')) return;
  const rows = [...event.currentTarget.querySelectorAll<HTMLElement>('.chat-item')];
  const at = rows.indexOf(from);
  const targets: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: rows.length - 1 };
  const row = rows[targets[event.key] ?? at];
  if (!row) return;
  event.preventDefault();
  row.focus();
}

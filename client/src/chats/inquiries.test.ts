import { describe, expect, it } from 'vitest';

import type { ChatSummary } from '../api';
import { en, item, ivan, message, order, run, snapshot, summary } from './chatListFixtures';
import { chatTitle, fromSummary, isClosed } from './items';
import type { ChatListAction } from './model';

describe('inquiries in the chat list', () => {
  const guest = { id: 40, name: 'Ольга Смирнова', role: 'guest' as const };
  const inquiry = (closedAt: string | null = null): ChatSummary => ({
    id: 30,
    kind: 'inquiry',
    title: 'Пробный урок',
    context: { type: 'course', title: 'ЕГЭ математика' },
    subjects: [],
    children: [],
    created_by: guest.id,
    updated_at: '2025-01-17T15:40:00Z',
    participants_count: 2,
    guardians_read: false,
    announcement: false,
    teacher_departed: false,
    audience: null,
    recipients: null,
    closed_at: closedAt,
    ward: null,
    ward_only: false,
    participant: { ...guest, online: true, last_seen: null },
    last_message: null,
    unread_count: 0,
    last_read_message_id: 0,
    muted: false,
    participant_departed: false,
    archived: false,
  });
  const closed = (position: number | null, closedAt = '2025-01-20T15:00:00Z'): ChatListAction => ({
    type: 'chatClosed',
    chatId: 30,
    closedAt,
    position,
  });
  const listed = () => run([snapshot([fromSummary(inquiry()), fromSummary(summary(10, 0, '2025-01-17T15:00:00Z'))])]);

  it('reads an inquiry: its title, the guest, open or closed', () => {
    const chat = item(listed(), 30);
    expect(chat).toMatchObject({ kind: 'inquiry', title: 'Пробный урок', people: [guest], participantsCount: 2, closedAt: null });
    expect(chatTitle(chat, en)).toBe('Пробный урок');
    expect(isClosed(chat)).toBe(false);
    expect(isClosed(fromSummary(inquiry('2025-01-20T15:00:00Z')))).toBe(true);
    // A server before inquiries sent no closed_at: open.
    expect(isClosed(fromSummary(summary(10)))).toBe(false);
    expect(isClosed(null)).toBe(false);
  });

  it('closes an inquiry on chat_closed, once, and a snapshot read before it does not reopen it', () => {
    const state = run([closed(101)], listed());
    expect(item(state, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', position: 101 });
    expect(run([closed(101, '2025-01-21T00:00:00Z')], state)).toBe(state); // delivered twice
    const refresh = (position: number): ChatListAction => ({ type: 'snapshot', items: [fromSummary(inquiry())], position, mode: 'refresh' });
    expect(isClosed(item(run([refresh(100)], state), 30))).toBe(true);
    // Even when the snapshot's position is past the event (a late page of an older first page).
    expect(isClosed(item(run([{ type: 'found', items: [fromSummary(inquiry())], position: 90 }], state), 30))).toBe(true);
    // A chat not listed yet: the next snapshot shows it closed.
    expect(run([{ ...closed(102), chatId: 99 } as ChatListAction], listed()).items).toEqual(listed().items);
  });

  it('closes an inquiry that refused our message (its details said when), without waiting for the event', () => {
    const state = run([closed(null)], listed());
    expect(item(state, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', position: 100 });
    // The event that follows keeps the first time known and takes its position.
    const after = run([closed(101, '2025-01-20T15:00:00Z')], state);
    expect(item(after, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', position: 101 });
  });

  it('keeps why an inquiry closed: blocked after it closed idle, and a snapshot does not forget it', () => {
    const idle = run([{ ...closed(101), reason: 'idle' } as ChatListAction], listed());
    expect(item(idle, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', closedReason: 'idle' });
    const blocked = run([{ ...closed(105, '2025-01-22T09:00:00Z'), reason: 'blocked' } as ChatListAction], idle);
    // Closed since the first time; blocked now.
    expect(item(blocked, 30)).toMatchObject({ closedAt: '2025-01-20T15:00:00Z', closedReason: 'blocked', position: 105 });
    const refresh: ChatListAction = { type: 'snapshot', items: [fromSummary(inquiry('2025-01-20T15:00:00Z'))], position: 104, mode: 'refresh' };
    expect(item(run([refresh], blocked), 30).closedReason).toBe('blocked');
  });

  it('moves an inquiry with a new message to the top like a direct chat', () => {
    const state = run([message(10, 101, ivan.id), message(30, 102, guest.id)], listed());
    expect(order(state)).toEqual([30, 10]);
    expect(item(state, 30).unread).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';

import type { ReportView } from '../api';
import { type ModerationAction, initialModeration, isFlag, moderationReducer, openReportCount } from './moderation';
import { parseModerationEvent } from '../stream/moderationEvents';

const ivan = { id: 2, name: 'Иван Петров', role: 'teacher' as const };
const maria = { id: 9, name: 'Мария Иванова', role: 'student' as const };

function report(id: number, flag: string | null, messageId = id * 10): ReportView {
  return {
    id,
    chat: { id: 3, kind: 'direct', title: null },
    message: {
      id: messageId,
      sender: ivan,
      content: `text ${messageId}`,
      created_at: '2025-01-17T15:00:00Z',
      is_deleted: false,
      hidden: null,
      purged: null,
      attachments: [],
    },
    reporter: flag === null ? maria : null,
    flag,
    reason: flag ?? 'insults',
    created_at: '2025-01-17T16:00:00Z',
    resolved_at: null,
    resolution: null,
  };
}

const ready: ModerationAction[] = [
  { type: 'reportsLoaded', filter: 'flags', reports: [], nextCursor: null },
  { type: 'reportsLoaded', filter: 'open', reports: [], nextCursor: null },
  { type: 'reportsRequested', filter: 'all' },
  { type: 'reportsLoaded', filter: 'all', reports: [], nextCursor: null },
];
const run = (actions: ModerationAction[]) => [...ready, ...actions].reduce(moderationReducer, initialModeration);
const ids = (items: readonly ReportView[] | undefined) => (items ?? []).map((r) => r.id);

describe('flags', () => {
  it('go to the flags, people’s reports to the reports, both to the list of all, and both count', () => {
    const state = run([
      { type: 'reported', report: report(1, 'встретиться') },
      { type: 'reported', report: report(2, null) },
    ]);
    expect(ids(state.flags.items)).toEqual([1]);
    expect(ids(state.open.items)).toEqual([2]);
    expect(ids(state.all?.items)).toEqual([2, 1]);
    expect(openReportCount(state)).toEqual({ count: 2, more: false });
    expect(isFlag(report(1, 'x'))).toBe(true);
    expect(isFlag(report(2, null))).toBe(false);
  });

  it('cleared: leaves the open lists, and the list of all says so', () => {
    const state = run([
      { type: 'reported', report: report(1, 'встретиться') },
      { type: 'reportCleared', reportId: 1, at: '2025-01-17T17:00:00Z' },
    ]);
    expect(state.flags.items).toEqual([]);
    expect(state.all?.items[0]).toMatchObject({ resolved_at: '2025-01-17T17:00:00Z', resolution: 'cleared' });
  });

  it('hiding the message resolves its flag too', () => {
    const hidden = { hidden_at: '2025-01-17T17:00:00Z', hidden_by: 1, reason: 'no' };
    const state = run([
      { type: 'reported', report: report(1, 'встретиться', 70) },
      { type: 'messageHidden', messageId: 70, hidden },
    ]);
    expect(state.flags.items).toEqual([]);
    expect(state.all?.items[0]).toMatchObject({ resolution: 'hidden' });
  });
});

describe('the stream’s flag events', () => {
  it('parses message_flagged (no reporter) and report_cleared', () => {
    const flagged = parseModerationEvent('message_flagged', { report: report(4, 'burst: 5 students in 2 min') }, 40);
    expect(flagged).toMatchObject({ type: 'message_flagged', position: 40, report: { id: 4, reporter: null } });
    const cleared = parseModerationEvent('report_cleared', { chat_id: 3, report_id: 4, actor_id: 1 }, 41);
    expect(cleared).toEqual({ type: 'report_cleared', position: 41, chatId: 3, reportId: 4, actorId: 1 });
    expect(parseModerationEvent('report_cleared', { chat_id: 3 }, 42)).toBeNull();
  });
});

describe('a report from a family chat', () => {
  it('is a report like any other (its chat kind is known)', () => {
    const guardians = { ...report(7, null), chat: { id: 4, kind: 'family' as const, title: null } };
    const parsed = parseModerationEvent('message_reported', { report: guardians }, 70);
    expect(parsed).toEqual({ type: 'message_reported', position: 70, report: guardians });
  });
});

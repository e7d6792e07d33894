import { describe, expect, it } from 'vitest';

import { ApiError, type Person } from '../api';
import type { ChatItem } from '../chats/model';
import {
  MAX_GUEST_NAME_CHARS,
  MAX_QUESTION_CHARS,
  guestChat,
  guestEndOf,
  guestEndShown,
  guestNameProblem,
  guestQuestionProblem,
  inquiryContext,
  inquiryTokenFromPath,
  isBlank,
  landing,
  linkUrl,
  visitorForm,
} from './inquiry';

const teacher: Person = { id: 2, name: 'Иван Петров', role: 'teacher' };
const student: Person = { id: 3, name: 'Мария Иванова', role: 'student' };
const guest: Person = { id: 40, name: 'Ольга Смирнова', role: 'guest' };
const TOKEN = 'aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW';

describe('where a visit lands', () => {
  it('reads the token of an inquiry page, and nothing else', () => {
    expect(inquiryTokenFromPath(`/inquiry/${TOKEN}`)).toBe(TOKEN);
    expect(inquiryTokenFromPath(`/inquiry/${TOKEN}/`)).toBe(TOKEN);
    expect(inquiryTokenFromPath('/inquiry/')).toBeNull();
    expect(inquiryTokenFromPath(`/inquiry/${TOKEN}/more`)).toBeNull();
    expect(inquiryTokenFromPath('/chats/12')).toBeNull();
    expect(inquiryTokenFromPath('/')).toBeNull();
    expect(inquiryTokenFromPath('/inquiry/%E0%A4%A')).toBeNull(); // a broken escape
  });

  it('shows a visitor without a session the inquiry page', () => {
    expect(landing(`/inquiry/${TOKEN}`, null)).toEqual({ view: 'inquiry', token: TOKEN, signedInAs: null });
  });

  it("opens a guest's chat, on the link's page after a reload and anywhere else", () => {
    for (const path of [`/inquiry/${TOKEN}`, '/', '/chats/5', '/inquiry/another']) {
      expect(landing(path, guest)).toEqual({ view: 'guest', user: guest });
    }
  });

  it('keeps a signed-in user signed in: on a link, the page says to use a private window', () => {
    expect(landing(`/inquiry/${TOKEN}`, teacher)).toEqual({ view: 'inquiry', token: TOKEN, signedInAs: teacher });
    expect(landing('/', student)).toEqual({ view: 'workspace', user: student });
    expect(landing('/chats/5', teacher)).toEqual({ view: 'workspace', user: teacher });
  });

  it('asks anyone else to sign in', () => {
    expect(landing('/', null)).toEqual({ view: 'signIn' });
    expect(landing('/chats/5', null)).toEqual({ view: 'signIn' });
  });

  it('tells a guest whose chat closed that it is closed, on the link or anywhere else', () => {
    expect(landing(`/inquiry/${TOKEN}`, null, 'closed')).toEqual({ view: 'guestEnded', token: TOKEN });
    expect(landing('/', null, 'closed')).toEqual({ view: 'guestEnded', token: null });
  });

  it('offers the link again to a guest whose credential expired (nobody, to the server)', () => {
    expect(landing(`/inquiry/${TOKEN}`, null, 'expired')).toEqual({ view: 'inquiry', token: TOKEN, signedInAs: null });
    expect(landing('/', null, 'expired')).toEqual({ view: 'signIn' });
  });
});

describe("how a guest's session ended", () => {
  const reason = 'this guest session has ended: the inquiry chat is closed';

  it("is `closed` when the server's 401 says their chat closed, by its code", () => {
    expect(guestEndOf(new ApiError(401, reason, 'Unauthorized', 'guest_session_ended'))).toBe('closed');
  });

  it('is `expired` for any other 401 (the words are not read), and nothing for other failures', () => {
    expect(guestEndOf(new ApiError(401, 'the token has expired', 'Unauthorized', 'token_expired'))).toBe('expired');
    expect(guestEndOf(new ApiError(401, reason, 'Unauthorized'))).toBe('expired');
    expect(guestEndOf(new ApiError(401, null, 'Unauthorized'))).toBe('expired');
    expect(guestEndOf(new ApiError(403, 'chat 5 does not exist or you are not a participant'))).toBeNull();
    expect(guestEndOf(new ApiError(403, 'a guest may only use their own inquiry chat'))).toBeNull();
    expect(guestEndOf(new TypeError('Failed to fetch'))).toBeNull();
  });

  it("is shown on a guest's page: as the workspace knows it, else for a chat closed already", () => {
    expect(guestEndShown('guest', null, false)).toBeNull();
    expect(guestEndShown('guest', 'closed', true)).toBe('closed');
    expect(guestEndShown('guest', null, true)).toBe('closed');
    expect(guestEndShown('guest', 'expired', false)).toBe('expired');
  });

  it('is never shown to signed-in users: a teacher reads the closed inquiry', () => {
    for (const role of ['teacher', 'admin', 'student'] as const) expect(guestEndShown(role, null, true)).toBeNull();
  });
});

describe("a visitor's name", () => {
  it('is 1 to 100 characters after trimming, counted in code points', () => {
    expect(guestNameProblem('')).toBe('empty');
    expect(guestNameProblem('   \n ')).toBe('empty');
    expect(guestNameProblem(' \u200b\u00ad ')).toBe('empty'); // shows nothing: the server refuses it too
    expect(guestNameProblem('Ольга')).toBeNull();
    expect(guestNameProblem(`  ${'я'.repeat(MAX_GUEST_NAME_CHARS)}  `)).toBeNull();
    expect(guestNameProblem('я'.repeat(MAX_GUEST_NAME_CHARS + 1))).toBe('tooLong');
    // 100 emoji are 200 UTF-16 units but 100 characters.
    expect(guestNameProblem('🙂'.repeat(MAX_GUEST_NAME_CHARS))).toBeNull();
    expect(guestNameProblem('🙂'.repeat(MAX_GUEST_NAME_CHARS + 1))).toBe('tooLong');
  });
});

describe("a visitor's question", () => {
  it('is blank with only whitespace and invisible characters, as the server counts them', () => {
    for (const text of ['', ' ', '\n\t ', '\u00a0\u3000', '\u200b\u200d', '\ufeff', '\u0085', '\u{E0020}', ' \u2060 ']) {
      expect(isBlank(text), JSON.stringify(text)).toBe(true);
    }
    for (const text of ['?', ' a ', '🙂', '\u200bx', '0']) expect(isBlank(text), JSON.stringify(text)).toBe(false);
  });

  it('is 1 to 10000 characters after trimming, counted in code points', () => {
    expect(guestQuestionProblem('')).toBe('empty');
    expect(guestQuestionProblem(' \u200b\n')).toBe('empty');
    expect(guestQuestionProblem('Можно на пробный урок?')).toBeNull();
    expect(guestQuestionProblem(`\n${'я'.repeat(MAX_QUESTION_CHARS)}  `)).toBeNull();
    expect(guestQuestionProblem('я'.repeat(MAX_QUESTION_CHARS + 1))).toBe('tooLong');
    expect(guestQuestionProblem('🙂'.repeat(MAX_QUESTION_CHARS))).toBeNull();
    expect(guestQuestionProblem('🙂'.repeat(MAX_QUESTION_CHARS + 1))).toBe('tooLong');
  });
});

describe("the visitor's form", () => {
  it('sends the name and the question, both trimmed, once both are right', () => {
    expect(visitorForm('  Ольга ', '\nМожно на пробный урок? 🙂\n')).toEqual({
      name: null,
      question: null,
      send: { name: 'Ольга', message: 'Можно на пробный урок? 🙂' },
    });
  });

  it('sends nothing while either is missing or too long, and says which', () => {
    expect(visitorForm('', '')).toEqual({ name: 'empty', question: 'empty', send: null });
    expect(visitorForm('Ольга', '   ')).toEqual({ name: null, question: 'empty', send: null });
    expect(visitorForm(' ', 'Вопрос')).toEqual({ name: 'empty', question: null, send: null });
    expect(visitorForm('я'.repeat(MAX_GUEST_NAME_CHARS + 1), 'Вопрос').name).toBe('tooLong');
    expect(visitorForm('Ольга', 'я'.repeat(MAX_QUESTION_CHARS + 1))).toEqual({ name: null, question: 'tooLong', send: null });
  });
});

describe('an inquiry link', () => {
  it("sends a course's title as its context, or none", () => {
    expect(inquiryContext('  ЕГЭ математика ')).toEqual({ type: 'course', title: 'ЕГЭ математика' });
    expect(inquiryContext('')).toBeNull();
    expect(inquiryContext('   ')).toBeNull();
  });

  it("is copied with this site's origin", () => {
    expect(linkUrl('https://school.example', { url: `/inquiry/${TOKEN}` })).toBe(`https://school.example/inquiry/${TOKEN}`);
    expect(linkUrl('http://127.0.0.1:8080/', { url: `/inquiry/${TOKEN}` })).toBe(`http://127.0.0.1:8080/inquiry/${TOKEN}`);
    // Should a server answer a full address, it is taken as it is.
    expect(linkUrl('https://a.example', { url: `https://b.example/inquiry/${TOKEN}` })).toBe(`https://b.example/inquiry/${TOKEN}`);
  });
});

describe("the guest's chat", () => {
  const item = (id: number, kind: ChatItem['kind']) => ({ id, kind }) as ChatItem;

  it('is the inquiry of their list, or nothing before the list has it', () => {
    expect(guestChat([item(21, 'inquiry')])?.id).toBe(21);
    expect(guestChat([item(5, 'direct'), item(21, 'inquiry')])?.id).toBe(21);
    expect(guestChat([])).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';

import type { Person } from './api';
import type { ChatItem } from './chats';
import {
  MAX_GUEST_NAME_CHARS,
  guestChat,
  guestNameProblem,
  inquiryContext,
  inquiryTokenFromPath,
  landing,
  linkUrl,
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
});

describe("a visitor's name", () => {
  it('is 1 to 100 characters after trimming, counted in code points', () => {
    expect(guestNameProblem('')).toBe('empty');
    expect(guestNameProblem('   \n ')).toBe('empty');
    expect(guestNameProblem('Ольга')).toBeNull();
    expect(guestNameProblem(`  ${'я'.repeat(MAX_GUEST_NAME_CHARS)}  `)).toBeNull();
    expect(guestNameProblem('я'.repeat(MAX_GUEST_NAME_CHARS + 1))).toBe('tooLong');
    // 100 emoji are 200 UTF-16 units but 100 characters.
    expect(guestNameProblem('🙂'.repeat(MAX_GUEST_NAME_CHARS))).toBeNull();
    expect(guestNameProblem('🙂'.repeat(MAX_GUEST_NAME_CHARS + 1))).toBe('tooLong');
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

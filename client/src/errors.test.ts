import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ApiError } from './api';
import { AUTH_ERROR_ONLY_CODES, SIGN_IN_ERROR_CODES } from './errorCodes';
import { errorText, knownCode, refusalText } from './errors';
import { i18n } from './i18n';
import en from './locales/en';
import ru from './locales/ru';

const enT = i18n.getFixedT('en');
const ruT = i18n.getFixedT('ru');

/** The codes of the generated `Code` type (src/generated/api.ts, from the server's document). */
function generatedCodes(): string[] {
  const source = readFileSync(new URL('./generated/api.ts', import.meta.url), 'utf8');
  const union = /^\s*Code: ((?:"[a-z_]+"(?: \| )?)+);$/m.exec(source);
  if (!union) throw new Error('no `Code` union in src/generated/api.ts');
  return [...union[1]!.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]!);
}

describe('error codes', () => {
  // The generated codes and the two that exist only as `auth_error` (typed in errors.ts).
  const codes = [...generatedCodes(), ...AUTH_ERROR_ONLY_CODES];

  it('has words for exactly the codes of the OpenAPI document and the auth_error ones, in both languages', () => {
    expect(codes.length).toBeGreaterThan(20);
    expect(new Set(codes).size).toBe(codes.length); // none of the auth_error-only ones is in the document too
    expect(Object.keys(en.errors.code).sort()).toEqual([...codes].sort());
    expect(Object.keys(ru.errors.code).sort()).toEqual([...codes].sort());
  });

  it('says each code in words of its own language (no key left as it is, no English in Russian)', () => {
    for (const code of codes) {
      const english = refusalText(400, code, enT);
      const russian = refusalText(400, code, ruT);
      expect(english, code).not.toContain('errors.');
      expect(russian, code).not.toContain('errors.');
      expect(russian, code).toMatch(/[а-яё]/i);
      expect(russian, code).not.toMatch(/\b(the|is|not|you)\b/i);
      expect(english, code).not.toBe(russian);
    }
  });

  it('has every code a failed sign-in comes back with, unknown_user from the document', () => {
    expect(generatedCodes()).toContain('unknown_user');
    expect([...SIGN_IN_ERROR_CODES].sort()).toEqual(['sign_in_denied', 'sign_in_failed', 'unknown_user']);
    for (const code of SIGN_IN_ERROR_CODES) expect(knownCode(code)).toBe(code);
  });

  it('knows a code of the document, and not one from a newer server', () => {
    expect(knownCode('chat_closed')).toBe('chat_closed');
    expect(knownCode('unknown_user')).toBe('unknown_user');
    expect(knownCode('rate_limited')).toBe('rate_limited');
    expect(knownCode('brand_new_code')).toBeNull();
    expect(knownCode('toString')).toBeNull(); // not a property of every object
    expect(knownCode(null)).toBeNull();
  });
});

describe('moderation codes', () => {
  it('are codes of the document', () => {
    expect(generatedCodes()).toEqual(expect.arrayContaining(['already_reported', 'account_suspended', 'message_hidden']));
  });

  it('says a second report, a suspended account and a hidden message in the reader’s language', () => {
    const again = new ApiError(409, 'already reported', 'Conflict', 'already_reported');
    expect(errorText(again, enT)).toBe('You have already reported this message.');
    expect(errorText(again, ruT)).toBe('Вы уже пожаловались на это сообщение.');
    const suspended = new ApiError(403, 'account suspended', 'Forbidden', 'account_suspended');
    expect(errorText(suspended, enT)).toMatch(/^Your account is suspended/);
    expect(errorText(suspended, ruT)).toMatch(/^Ваша учётная запись заблокирована/);
    // Not the 403's generic words: the code says more.
    expect(errorText(suspended, enT)).not.toBe(refusalText(403, null, enT));
    const hidden = new ApiError(409, 'message is hidden', 'Conflict', 'message_hidden');
    expect(errorText(hidden, enT)).toMatch(/moderator hid this message/);
    expect(errorText(hidden, ruT)).toMatch(/Модератор скрыл/);
  });
});

describe('errorText', () => {
  const tooLong = new ApiError(400, 'message content exceeds 10000 characters', 'Bad Request', 'content_too_long');

  it("says a refusal from its code in the reader's language, never with the server's English sentence", () => {
    expect(errorText(tooLong, ruT)).toBe('Сообщение слишком длинное: не больше 10 000 символов.');
    expect(errorText(tooLong, enT)).toBe('The message is too long: at most 10,000 characters.');
    expect(errorText(tooLong, ruT)).not.toContain('exceeds');
    expect(errorText(tooLong, enT)).not.toContain('exceeds');
    const closed = new ApiError(409, 'chat 12 is closed', 'Conflict', 'chat_closed');
    expect(errorText(closed, ruT)).toBe('Этот разговор закрыт: сюда больше нельзя писать.');
    const limited = new ApiError(429, 'too many requests: retry after 3 s', 'Too Many Requests', 'rate_limited');
    expect(errorText(limited, ruT)).toBe('Слишком много запросов. Подождите немного и попробуйте снова.');
  });

  it("says a school account the chat does not know from its code, on any request (403 unknown_user)", () => {
    const unknown = new ApiError(403, 'no user has this identity', 'Forbidden', 'unknown_user');
    expect(errorText(unknown, enT)).toBe(
      "This school account is not linked to anyone in the chat. Ask the school's administrator to give you access.",
    );
    expect(errorText(unknown, ruT)).toMatch(/администратор/);
    expect(errorText(unknown, enT)).not.toBe(errorText(new ApiError(403, null, 'Forbidden', 'forbidden'), enT));
  });

  it('says a precise code and not only its status (the same status, other words)', () => {
    const conflict = new ApiError(409, 'x', '', 'conflict');
    const deleted = new ApiError(409, 'x', '', 'message_deleted');
    expect(errorText(conflict, enT)).not.toBe(errorText(deleted, enT));
    expect(errorText(deleted, enT)).toBe('This message has been deleted.');
  });

  it('falls back on the status for a code this client does not know, or none', () => {
    expect(errorText(new ApiError(409, 'something new', '', 'brand_new_code'), ruT)).toBe(
      'Это расходится с изменением, сделанным тем временем. Попробуйте ещё раз.',
    );
    expect(errorText(new ApiError(503, 'the database is unreachable'), enT)).toBe(
      'The server is unavailable right now. Try again in a moment.',
    );
    // A proxy's bare 502, no body at all.
    expect(errorText(new ApiError(502, null, 'Bad Gateway'), ruT)).toBe('Сервер сейчас недоступен. Попробуйте чуть позже.');
  });

  it('falls back on the class of a status with no words of its own', () => {
    expect(errorText(new ApiError(418, "I'm a teapot"), enT)).toBe('The request was refused (error 418).');
    expect(errorText(new ApiError(418, "I'm a teapot"), ruT)).toBe('Запрос отклонён (ошибка 418).');
    expect(errorText(new ApiError(507, null), enT)).toBe(
      'The server could not answer (error 507). Try again in a moment.',
    );
    expect(errorText(new ApiError(507, null), ruT)).toBe('Сервер не смог ответить (ошибка 507). Попробуйте чуть позже.');
  });

  it('says a network failure as such, and an error of ours as it is', () => {
    expect(errorText(new TypeError('Failed to fetch'), enT)).toBe('Cannot reach the server. Check your connection.');
    expect(errorText(new TypeError('Failed to fetch'), ruT)).toBe('Нет связи с сервером. Проверьте подключение.');
    expect(errorText(new Error('Не сохранено.'), enT)).toBe('Не сохранено.');
    expect(errorText('odd', enT)).toBe('odd');
  });

  it('has words for every status it names, in both languages', () => {
    expect(Object.keys(ru.errors.status)).toEqual(Object.keys(en.errors.status));
    for (const status of Object.keys(en.errors.status).map(Number)) {
      expect(errorText(new ApiError(status, null), ruT), String(status)).toMatch(/[а-яё]/i);
    }
  });
});

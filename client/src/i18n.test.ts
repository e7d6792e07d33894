import { describe, expect, it } from 'vitest';

import { detectLanguage, i18n, intlLocale, languageOf } from './i18n';
import en from './locales/en';
import ru from './locales/ru';

type Tree = { [key: string]: string | Tree };

/** Every leaf key, dotted. */
function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : keys(value, `${prefix}${key}.`),
  );
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const base = (key: string) => key.replace(PLURAL, '');

describe('resources', () => {
  it('has the same keys in both languages (up to plural forms)', () => {
    const enKeys = new Set(keys(en).map(base));
    const ruKeys = new Set(keys(ru).map(base));
    expect([...ruKeys].sort()).toEqual([...enKeys].sort());
  });

  it('has every plural form each language needs', () => {
    const forms = (tree: Tree, key: string) =>
      keys(tree)
        .filter((k) => base(k) === key && PLURAL.test(k))
        .map((k) => PLURAL.exec(k)![1])
        .sort();
    const plurals = new Set(keys(en).filter((k) => PLURAL.test(k)).map(base));
    expect(plurals.size).toBeGreaterThan(0);
    for (const key of plurals) {
      expect(forms(en, key), key).toEqual(new Intl.PluralRules('en').resolvedOptions().pluralCategories.sort());
      expect(forms(ru, key), key).toEqual(new Intl.PluralRules('ru').resolvedOptions().pluralCategories.sort());
    }
  });

  it('interpolates the same placeholders in both languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const leaves = (tree: Tree, prefix = ''): [string, string][] =>
      Object.entries(tree).flatMap(([key, value]) =>
        typeof value === 'string' ? [[`${prefix}${key}`, value] as [string, string]] : leaves(value, `${prefix}${key}.`),
      );
    const enText = new Map(leaves(en).map(([k, v]) => [base(k), v]));
    for (const [key, text] of leaves(ru)) expect(placeholders(text), key).toEqual(placeholders(enText.get(base(key))!));
  });
});

describe('plurals', () => {
  const unread = (lng: 'en' | 'ru', count: number) => i18n.getFixedT(lng)('chatList.unread', { count });

  it('agrees in Russian with 1, 2, 5, 11, 21, 22 and 25', () => {
    expect(unread('ru', 1)).toBe('1 непрочитанное сообщение');
    expect(unread('ru', 2)).toBe('2 непрочитанных сообщения');
    expect(unread('ru', 5)).toBe('5 непрочитанных сообщений');
    expect(unread('ru', 11)).toBe('11 непрочитанных сообщений');
    expect(unread('ru', 21)).toBe('21 непрочитанное сообщение');
    expect(unread('ru', 22)).toBe('22 непрочитанных сообщения');
    expect(unread('ru', 25)).toBe('25 непрочитанных сообщений');
    const t = i18n.getFixedT('ru');
    expect(t('chatList.messages', { count: 3 })).toBe('3 сообщения');
    expect(t('chatList.messages', { count: 111 })).toBe('111 сообщений');
    expect(t('conversation.newMessages', { count: 1 })).toBe('↓ 1 новое сообщение');
    expect(t('conversation.newMessages', { count: 24 })).toBe('↓ 24 новых сообщения');
    expect([1, 2, 5, 11, 21, 22, 25].map((count) => t('chatList.members', { count }))).toEqual([
      '1 участник',
      '2 участника',
      '5 участников',
      '11 участников',
      '21 участник',
      '22 участника',
      '25 участников',
    ]);
  });

  it('counts files and refused files in Russian (1, 3, 5, 21) and photos without declension', () => {
    const t = i18n.getFixedT('ru');
    expect([1, 3, 5, 21].map((count) => t('attachments.files', { count }))).toEqual([
      '📎 1 файл',
      '📎 3 файла',
      '📎 5 файлов',
      '📎 21 файл',
    ]);
    expect(t('attachments.photos', { count: 3 })).toBe('🖼 3 фото');
    expect(t('attachments.tooMany', { count: 1, max: 10 })).toBe('Не добавлен 1 файл: в сообщении не больше 10 файлов.');
    expect(t('attachments.tooMany', { count: 3, max: 10 })).toBe('Не добавлено 3 файла: в сообщении не больше 10 файлов.');
    expect(t('attachments.tooMany', { count: 5, max: 10 })).toBe('Не добавлено 5 файлов: в сообщении не больше 10 файлов.');
    const en = i18n.getFixedT('en');
    expect(en('attachments.tooMany', { count: 1, max: 10 })).toBe('1 file was not added: a message takes at most 10 files.');
    expect(en('attachments.files', { count: 2 })).toBe('📎 2 files');
  });

  it('says one and other in English', () => {
    expect(unread('en', 1)).toBe('1 unread message');
    expect(unread('en', 2)).toBe('2 unread messages');
    expect(unread('en', 21)).toBe('21 unread messages');
    expect(i18n.getFixedT('en')('chatList.messages', { count: 1 })).toBe('1 message');
    expect(i18n.getFixedT('en')('conversation.newMessages', { count: 5 })).toBe('↓ 5 new messages');
    expect(i18n.getFixedT('en')('chatList.members', { count: 1 })).toBe('1 member');
    expect(i18n.getFixedT('en')('chatList.members', { count: 3 })).toBe('3 members');
  });
});

describe('search and notifications', () => {
  it('says what was not found and how many new messages, in both languages', () => {
    const ru = i18n.getFixedT('ru');
    const en = i18n.getFixedT('en');
    expect(ru('search.empty', { query: 'учебник' })).toBe('По запросу «учебник» ничего не найдено.');
    expect(en('search.empty', { query: 'textbook' })).toBe('Nothing found for “textbook”.');
    expect([1, 3, 5, 21].map((count) => ru('push.newMessages', { count }))).toEqual([
      '1 новое сообщение',
      '3 новых сообщения',
      '5 новых сообщений',
      '21 новое сообщение',
    ]);
    expect(en('push.newMessages', { count: 2 })).toBe('2 new messages');
  });
});

describe('typing and presence', () => {
  it('says who is typing and that someone is, in both languages', () => {
    const ru = i18n.getFixedT('ru');
    const en = i18n.getFixedT('en');
    expect(ru('typing.named', { name: 'Мария Иванова' })).toBe('Мария Иванова печатает…');
    expect(en('typing.named', { name: 'Maria' })).toBe('Maria is typing…');
    expect(ru('typing.short')).toBe('печатает…');
    expect(en('typing.short')).toBe('typing…');
  });

  it('says online, offline and last seen around a relative time', () => {
    const ru = i18n.getFixedT('ru');
    const en = i18n.getFixedT('en');
    expect(ru('presence.online')).toBe('в сети');
    expect(ru('presence.offline')).toBe('не в сети');
    expect(ru('presence.lastSeen', { when: '5 минут назад' })).toBe('был(а) в сети 5 минут назад');
    expect(en('presence.online')).toBe('online');
    expect(en('presence.offline')).toBe('offline');
    expect(en('presence.lastSeen', { when: '5 minutes ago' })).toBe('last seen 5 minutes ago');
  });
});

describe('choosing the language', () => {
  it('reads the language of a tag', () => {
    expect(languageOf('ru-RU')).toBe('ru');
    expect(languageOf('RU')).toBe('ru');
    expect(languageOf('en_GB')).toBe('en');
    expect(languageOf('de-DE')).toBeNull();
    expect(languageOf(null)).toBeNull();
  });

  it('takes the saved choice, else Russian for a Russian browser, else English', () => {
    expect(detectLanguage(null, ['ru-RU', 'en-US'])).toBe('ru');
    expect(detectLanguage(null, ['ru'])).toBe('ru');
    expect(detectLanguage(null, ['en-US', 'ru-RU'])).toBe('en');
    expect(detectLanguage(null, ['de-DE', 'ru-RU'])).toBe('en');
    expect(detectLanguage(null, [])).toBe('en');
    expect(detectLanguage('en', ['ru-RU'])).toBe('en');
    expect(detectLanguage('ru', ['en-US'])).toBe('ru');
    expect(detectLanguage('fr', ['ru-RU'])).toBe('ru'); // an unknown saved value is ignored
  });

  it('formats in the browser locale when it is of the UI language', () => {
    expect(intlLocale('en', ['en-GB', 'ru-RU'])).toBe('en-GB');
    expect(intlLocale('ru', ['en-GB', 'ru-RU'])).toBe('ru-RU');
    expect(intlLocale('ru', ['en-GB'])).toBe('ru');
    expect(intlLocale('en', [])).toBe('en');
  });
});

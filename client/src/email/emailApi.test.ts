import { describe, expect, it } from 'vitest';

import { languageToSend } from './emailApi';

describe('the language the school writes emails in', () => {
  const held = (language: 'ru' | 'en' | null) => ({ language, default: 'ru' as const, effective: language ?? ('ru' as const) });

  it('is told the language on screen when the server holds another or none', () => {
    expect(languageToSend('en', held('ru'))).toBe('en');
    expect(languageToSend('ru', held(null))).toBe('ru');
  });

  it('is not told what it holds already, nor anything before it answered', () => {
    expect(languageToSend('en', held('en'))).toBeNull();
    expect(languageToSend('ru', null)).toBeNull();
  });
});

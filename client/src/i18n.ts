// The UI language: English or Russian, through i18next. The language is chosen once per tab —
// the one saved in localStorage (the RU/EN switch), else the browser's (`ru*` → Russian,
// anything else → English) — and every change is saved and mirrored on <html lang>.
// Dates and numbers go through Intl with `intlLocale`: the browser's own tag when it is of the
// UI language (en-GB keeps "2 Jan"), the bare language otherwise.
//
// The instance is initialised synchronously with both languages bundled (there are a few
// hundred strings), so it works the same in the browser and in Vitest, and `t` never waits.

import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';

import en from './locales/en';
import ru from './locales/ru';

export const LANGUAGES = ['en', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Where the switch keeps the chosen language. */
export const STORAGE_KEY = 'tutorchat.language';

/** The UI language of a BCP 47 tag ("ru-RU" → "ru", "en-GB" → "en"), or null for any other. */
export function languageOf(tag: string | null | undefined): Language | null {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.find((language) => language === primary) ?? null;
}

/** The language to start with: the saved choice, else the browser's first preference. */
export function detectLanguage(saved: string | null, browser: readonly string[]): Language {
  const chosen = languageOf(saved);
  if (chosen) return chosen;
  return languageOf(browser[0]) === 'ru' ? 'ru' : 'en';
}

/** The locale for Intl: the browser's first tag of `language`, else the language itself. */
export function intlLocale(language: Language, browser: readonly string[]): string {
  return browser.find((tag) => languageOf(tag) === language) ?? language;
}

export const i18n = i18next.createInstance();

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ru: { translation: ru } },
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: LANGUAGES,
  interpolation: { escapeValue: false }, // React escapes
  initAsync: false,
});

/** The active UI language. */
export function currentLanguage(): Language {
  return languageOf(i18n.language) ?? 'en';
}

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

function savedLanguage(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the browser's language it is
  }
}

/** Picks the tab's language at start-up (before the first render). */
export function startLanguage(): void {
  const language = detectLanguage(savedLanguage(), browserLanguages());
  void i18n.changeLanguage(language);
  document.documentElement.lang = language;
}

/** The switch: changes the language now and remembers it for the next visits. */
export function chooseLanguage(language: Language): void {
  void i18n.changeLanguage(language);
  document.documentElement.lang = language;
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // not remembered, still switched
  }
}

/** `t`, the active language and its Intl locale; re-renders when the language changes. */
export function useLocale() {
  const { t } = useTranslation();
  const language = currentLanguage();
  return { t, language, locale: intlLocale(language, browserLanguages()) };
}

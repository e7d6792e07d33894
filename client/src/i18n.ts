// The UI language: English or Russian, through i18next. The language is chosen once per tab —
// the one saved in localStorage (the RU/EN switch), else the browser's (`ru*` → Russian,
// anything else → English) — and every change is saved and mirrored on <html lang>.
// Dates and numbers go through Intl with `intlLocale`: the browser's own tag when it is of the
// UI language (en-GB keeps "2 Jan"), the bare language otherwise.
//
// Each language's strings are a chunk of their own, loaded before the first render (start-up
// waits for the chosen one) and before a switch: a reader downloads their language only, and
// `t` never waits. (Vitest loads both up front: src/test/languages.ts.)

import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';

import type en from './locales/en';

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

/** Each language's strings, fetched when first needed (a chunk of the build each). */
const bundles: Record<Language, () => Promise<{ default: typeof en }>> = {
  en: () => import('./locales/en'),
  ru: () => import('./locales/ru'),
};

void i18n.use(initReactI18next).init({
  resources: {},
  partialBundledLanguages: true,
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

/** Makes `language`'s strings available (fetching them once). */
export async function loadLanguage(language: Language): Promise<void> {
  if (i18n.hasResourceBundle(language, 'translation')) return;
  i18n.addResourceBundle(language, 'translation', (await bundles[language]()).default);
}

/** Picks the tab's language at start-up and loads its strings: the first render waits for it. */
export async function startLanguage(): Promise<void> {
  const language = detectLanguage(savedLanguage(), browserLanguages());
  await loadLanguage(language);
  await i18n.changeLanguage(language);
  document.documentElement.lang = language;
}

/** The switch: loads the language's strings, changes to it and remembers it for the next visits. */
export async function chooseLanguage(language: Language): Promise<void> {
  await loadLanguage(language);
  await i18n.changeLanguage(language);
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

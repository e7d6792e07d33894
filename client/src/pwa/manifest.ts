// The web app manifests, one per UI language (a manifest has one `name`, and browsers read it
// once, when the app is installed): `/manifest.en.webmanifest` and `/manifest.ru.webmanifest`,
// written by the build (vite.config.ts). The page points its `<link rel="manifest">` at the
// reader's language (`linkManifest`), so a phone set to Russian installs «Tutorchat: чат школы».
// Both have the same `id`: one app, whichever was installed. The words are here rather than in
// the locales, which only the page reads: this module is loaded by the build's config too, and
// imports nothing.

export type ManifestLanguage = 'en' | 'ru';

/** The brand colour (the header, the icons' background): the installed app's title bar. */
export const THEME_COLOR = '#4f46e5';

const WORDS: Record<ManifestLanguage, { name: string; shortName: string; description: string }> = {
  en: {
    name: 'Tutorchat: the school chat',
    shortName: 'Tutorchat',
    description: 'Students, parents and teachers of the tutoring school talk between lessons.',
  },
  ru: {
    name: 'Tutorchat: чат школы',
    shortName: 'Tutorchat',
    description: 'Ученики, родители и преподаватели школы общаются между занятиями.',
  },
};

/** Where the manifest of `language` is served. */
export const manifestPath = (language: ManifestLanguage) => `/manifest.${language}.webmanifest`;

/** The manifest of `language`, as JSON. */
export function webManifest(language: ManifestLanguage) {
  const words = WORDS[language];
  return {
    id: '/',
    name: words.name,
    short_name: words.shortName,
    description: words.description,
    lang: language,
    dir: 'ltr',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    orientation: 'any',
    theme_color: THEME_COLOR,
    background_color: '#ffffff',
    icons: [
      { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  };
}

/** Points the page's `<link rel="manifest">` at `language`'s manifest (Chromium reads it again). */
export function linkManifest(language: ManifestLanguage): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
  if (link && link.getAttribute('href') !== manifestPath(language)) link.setAttribute('href', manifestPath(language));
}

// Vitest's set-up: both languages' strings loaded up front, so that every test reads `t` of
// either at once (the app fetches its reader's language before its first render: i18n.ts).

import { i18n } from '../i18n';
import en from '../locales/en';
import ru from '../locales/ru';

i18n.addResourceBundle('en', 'translation', en);
i18n.addResourceBundle('ru', 'translation', ru);

// Typed keys: `t('chatList.unread', { count })` is checked against the English resources at
// compile time (plural suffixes are resolved by i18next's types).
import 'i18next';

import type en from './locales/en';

declare module 'i18next' {
  interface CustomTypeOptions {
    resources: { translation: typeof en };
  }
}

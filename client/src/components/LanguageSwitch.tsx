import { LANGUAGES, chooseLanguage, useLocale } from '../i18n';

/** RU/EN: switches the UI language at once and remembers it (localStorage). */
export function LanguageSwitch() {
  const { t, language } = useLocale();
  return (
    <div className="language-switch" role="group" aria-label={t('language.label')}>
      {LANGUAGES.map((lng) => (
        <button
          key={lng}
          type="button"
          lang={lng}
          className={lng === language ? 'active' : ''}
          data-testid={`lang-${lng}`}
          aria-pressed={lng === language}
          title={t(`language.${lng}`)}
          onClick={() => void chooseLanguage(lng)}
        >
          {lng.toUpperCase()}
        </button>
      ))}
    </div>
  );
}

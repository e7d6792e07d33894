import { type FormEvent, type InputHTMLAttributes, type ReactNode, useEffect, useState } from 'react';

import { ApiError, type SchoolSettings } from '../api';
import { errorText } from '../errors';
import { useLocale } from '../i18n';
import { type SettingsForm, changeOf, changeSchoolSettings, formOf, schoolSettings } from './schoolApi';

type Loaded = { status: 'loading' } | { status: 'failed'; error: string } | { status: 'ready'; settings: SchoolSettings };

/** The time zones the browser knows, offered as the field's suggestions (the server checks its own list). */
const ZONES: readonly string[] = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];

const BLANK: SettingsForm = {
  name: '',
  timeZone: '',
  quietHours: '',
  familyQuietHours: '',
  retentionDays: '',
  emailNotify: '',
  language: 'default',
  emailSender: '',
  editing: 'default',
  guardianGroups: 'default',
};

/** One labelled text field of the form; `input`: the input's own attributes (a type, limits, a placeholder). */
function TextField(props: {
  label: string;
  testId: string;
  value: string;
  onChange: (value: string) => void;
  input: InputHTMLAttributes<HTMLInputElement>;
  children?: ReactNode;
}) {
  const { label, testId, value, onChange, input, children } = props;
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <input type="text" {...input} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)} />
      {children}
    </label>
  );
}

/**
 * An admin's School tab (in Moderation): the school's settings (its name, time zone, quiet
 * hours, the families', editing, retention, email defaults, language and sender, what guardians
 * read of groups), each the
 * school's own or (blank, "the default") the deployment's, which the field shows. Saving sends
 * only what changed; every replica follows within moments.
 */
export function SchoolPanel() {
  const { t } = useLocale();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [form, setForm] = useState<SettingsForm>(BLANK);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ error: boolean; text: string } | null>(null);

  const show = (settings: SchoolSettings) => {
    setLoaded({ status: 'ready', settings });
    setForm(formOf(settings));
  };

  useEffect(() => {
    schoolSettings().then(show, (e: unknown) => setLoaded({ status: 'failed', error: errorText(e, t) }));
  }, [t]);

  if (loaded.status === 'loading') return <p className="muted small">{t('school.loading')}</p>;
  if (loaded.status === 'failed') {
    return (
      <p className="error" role="alert">
        {loaded.error}
      </p>
    );
  }
  const { settings } = loaded;
  const change = changeOf(settings, form);
  const changed = Object.keys(change).length > 0;
  const onOff = (on: boolean) => t(on ? 'school.editingOn' : 'school.editingOff');
  const groupsText = (policy: 'none' | 'own_messages') =>
    t(policy === 'none' ? 'school.guardianGroupsNone' : 'school.guardianGroupsOwn');
  // A field's new value (a select's is one of its options, which the form's type lists).
  const set = (key: keyof SettingsForm) => (value: string) => setForm({ ...form, [key]: value } as SettingsForm);
  const families = settings.defaults.family_quiet_hours;
  const familyDefault =
    families === 'students' ? t('school.familyAsStudents') : families === 'off' ? t('school.quietNone') : families;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setNotice(null);
    try {
      show(await changeSchoolSettings(change));
      setNotice({ error: false, text: t('school.saved') });
    } catch (e) {
      // 400: a value of the wrong shape; 422: one the school cannot take (an unknown time zone).
      const refused = e instanceof ApiError && (e.status === 400 || e.status === 422);
      setNotice({ error: true, text: refused ? t('school.refused') : errorText(e, t) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="school-settings" data-testid="school-settings" onSubmit={(e) => void submit(e)}>
      <p className="muted small">{t('school.hint')}</p>
      <TextField label={t('school.name')} testId="school-name" value={form.name} onChange={set('name')}
        input={{ maxLength: 100, placeholder: settings.defaults.name }} />
      <TextField label={t('school.timeZone')} testId="school-time-zone" value={form.timeZone} onChange={set('timeZone')}
        input={{ maxLength: 64, placeholder: settings.defaults.time_zone, list: 'school-time-zones' }}>
        <datalist id="school-time-zones">
          {ZONES.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </TextField>
      <TextField label={t('school.quietHours')} testId="school-quiet-hours" value={form.quietHours} onChange={set('quietHours')}
        input={{ maxLength: 20, placeholder: settings.defaults.quiet_hours ?? t('school.quietNone') }} />
      <TextField label={t('school.familyQuietHours')} testId="school-family-quiet-hours" value={form.familyQuietHours}
        onChange={set('familyQuietHours')} input={{ maxLength: 20, placeholder: familyDefault }} />
      <label className="field">
        <span className="field-label">{t('school.editing')}</span>
        <select data-testid="school-editing" value={form.editing} onChange={(e) => set('editing')(e.target.value)}>
          <option value="default">{t('school.editingDefault', { value: onOff(settings.defaults.message_editing) })}</option>
          <option value="on">{t('school.editingOn')}</option>
          <option value="off">{t('school.editingOff')}</option>
        </select>
      </label>
      <TextField label={t('school.retention')} testId="school-retention" value={form.retentionDays} onChange={set('retentionDays')}
        input={{
          type: 'number',
          inputMode: 'numeric',
          min: 1,
          max: 36500,
          placeholder: settings.defaults.retention_days?.toString() ?? t('school.retentionForever'),
        }} />
      <TextField label={t('school.emailNotify')} testId="school-email-notify" value={form.emailNotify} onChange={set('emailNotify')}
        input={{ maxLength: 100, placeholder: settings.defaults.email_notify }} />
      <TextField label={t('school.emailSender')} testId="school-email-sender" value={form.emailSender} onChange={set('emailSender')}
        input={{ maxLength: 100, placeholder: settings.defaults.email_sender ?? '' }} />
      <label className="field">
        <span className="field-label">{t('school.language')}</span>
        <select data-testid="school-language" value={form.language} onChange={(e) => set('language')(e.target.value)}>
          <option value="default">{t('school.languageDefault', { value: settings.defaults.language })}</option>
          <option value="ru">ru</option>
          <option value="en">en</option>
        </select>
      </label>
      <label className="field">
        <span className="field-label">{t('school.guardianGroups')}</span>
        <select data-testid="school-guardian-groups" value={form.guardianGroups}
          onChange={(e) => set('guardianGroups')(e.target.value)}>
          <option value="default">{t('school.guardianGroupsDefault', { value: groupsText(settings.defaults.guardian_groups) })}</option>
          <option value="none">{groupsText('none')}</option>
          <option value="own_messages">{groupsText('own_messages')}</option>
        </select>
      </label>
      <div className="dialog-actions">
        <button type="submit" className="button" data-testid="school-save" disabled={busy || !changed}>
          {t('school.save')}
        </button>
      </div>
      {notice && (
        <p className={notice.error ? 'error small' : 'muted small'} role={notice.error ? 'alert' : 'status'} data-testid="school-notice">
          {notice.text}
        </p>
      )}
    </form>
  );
}

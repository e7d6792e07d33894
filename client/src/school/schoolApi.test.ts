import { describe, expect, it } from 'vitest';

import type { SchoolSettings } from '../api';
import { changeOf, formOf } from './schoolApi';

const settings: SchoolSettings = {
  name: 'Demo School',
  time_zone: 'Europe/Moscow',
  quiet_hours: null,
  family_quiet_hours: '22:30-07:00',
  message_editing: false,
  retention_days: 365,
  email_notify: 'digest',
  language: 'en',
  email_sender: 'Школа',
  guardian_groups: 'own_messages',
  own: { name: null, time_zone: 'Europe/Moscow', quiet_hours: 'off', family_quiet_hours: '22:30-07:00', message_editing: null, retention_days: 365, email_notify: null, language: 'en', email_sender: null, guardian_groups: 'own_messages' },
  defaults: { name: 'Demo School', time_zone: 'UTC', quiet_hours: '21:00-08:00', family_quiet_hours: 'students', message_editing: false, retention_days: null, email_notify: 'digest', language: 'ru', email_sender: 'Школа', guardian_groups: 'none' },
};

describe('school settings form', () => {
  it('shows what the school set, blank where it keeps the default', () => {
    expect(formOf(settings)).toEqual({
      name: '',
      timeZone: 'Europe/Moscow',
      quietHours: 'off',
      familyQuietHours: '22:30-07:00',
      retentionDays: '365',
      emailNotify: '',
      language: 'en',
      emailSender: '',
      editing: 'default',
      guardianGroups: 'own_messages',
    });
  });

  it('sends only what changed, a blank field as null (the default)', () => {
    const form = formOf(settings);
    expect(changeOf(settings, { ...form, name: ' Школа ' })).toEqual({ name: 'Школа' });
    expect(changeOf(settings, { ...form, timeZone: '', quietHours: ' 22:00-07:00 ', editing: 'on' })).toEqual({
      time_zone: null,
      quiet_hours: '22:00-07:00',
      message_editing: true,
    });
    expect(changeOf(settings, { ...form, quietHours: '', familyQuietHours: ' students ' })).toEqual({
      quiet_hours: null,
      family_quiet_hours: 'students',
    });
    expect(changeOf(settings, { ...form, familyQuietHours: '' })).toEqual({ family_quiet_hours: null });
    expect(changeOf(settings, { ...form, retentionDays: ' 30 ' })).toEqual({ retention_days: 30 });
    expect(changeOf(settings, { ...form, retentionDays: '' })).toEqual({ retention_days: null });
    expect(changeOf(settings, { ...form, emailNotify: ' guardian=instant ', language: 'default' })).toEqual({
      email_notify: 'guardian=instant',
      language: null,
    });
    expect(changeOf(settings, { ...form, emailSender: ' Школа на Арбате ' })).toEqual({ email_sender: 'Школа на Арбате' });
    expect(changeOf(settings, { ...form, guardianGroups: 'default' })).toEqual({ guardian_groups: null });
    expect(changeOf(settings, { ...form, guardianGroups: 'none' })).toEqual({ guardian_groups: 'none' });
    expect(changeOf(settings, formOf(settings))).toEqual({});
  });
});

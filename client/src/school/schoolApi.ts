// The school's settings, as its admins see and change them (`/api/school/settings`): each
// change an event of the server's log, which every replica follows.

import { type SchoolSettings, type SchoolSettingsChange, request } from '../api';

export async function schoolSettings(): Promise<SchoolSettings> {
  return (await request<SchoolSettings>('GET', '/api/school/settings')).data;
}

export async function changeSchoolSettings(change: SchoolSettingsChange): Promise<SchoolSettings> {
  return (await request<SchoolSettings>('PATCH', '/api/school/settings', change)).data;
}

/**
 * What the form holds: a name, a time zone, quiet hours (`21:00-08:00`, or `off`) and the
 * families' (also `students`: the students' window), each blank for the default; editing on,
 * off or the default; what guardians read of groups, or the default.
 */
export interface SettingsForm {
  name: string;
  timeZone: string;
  quietHours: string;
  familyQuietHours: string;
  /** Days a message keeps its content, as typed (blank: the default). */
  retentionDays: string;
  /** `NOTIFY_EMAIL`'s form, as typed (blank: the default). */
  emailNotify: string;
  language: 'default' | 'ru' | 'en';
  emailSender: string;
  editing: 'default' | 'on' | 'off';
  /** What guardians read of their children's groups: nothing, their own child's messages, or the default. */
  guardianGroups: 'default' | 'none' | 'own_messages';
}

export function formOf(settings: SchoolSettings): SettingsForm {
  const editing = settings.own.message_editing;
  return {
    name: settings.own.name ?? '',
    timeZone: settings.own.time_zone ?? '',
    quietHours: settings.own.quiet_hours ?? '',
    familyQuietHours: settings.own.family_quiet_hours ?? '',
    retentionDays: settings.own.retention_days?.toString() ?? '',
    emailNotify: settings.own.email_notify ?? '',
    language: settings.own.language ?? 'default',
    emailSender: settings.own.email_sender ?? '',
    editing: editing === null || editing === undefined ? 'default' : editing ? 'on' : 'off',
    guardianGroups: settings.own.guardian_groups ?? 'default',
  };
}

/** Only what the form changed of `settings` (a blank field: back to the default). */
export function changeOf(settings: SchoolSettings, form: SettingsForm): SchoolSettingsChange {
  const now = formOf(settings);
  const change: SchoolSettingsChange = {};
  if (form.name.trim() !== now.name) change.name = form.name.trim() === '' ? null : form.name.trim();
  if (form.timeZone.trim() !== now.timeZone) change.time_zone = form.timeZone.trim() === '' ? null : form.timeZone.trim();
  if (form.quietHours.trim() !== now.quietHours) {
    change.quiet_hours = form.quietHours.trim() === '' ? null : form.quietHours.trim();
  }
  if (form.familyQuietHours.trim() !== now.familyQuietHours) {
    change.family_quiet_hours = form.familyQuietHours.trim() === '' ? null : form.familyQuietHours.trim();
  }
  if (form.retentionDays.trim() !== now.retentionDays) {
    // The field takes digits only; the server refuses a number it cannot take, in words.
    change.retention_days = form.retentionDays.trim() === '' ? null : Number(form.retentionDays.trim());
  }
  if (form.emailNotify.trim() !== now.emailNotify) {
    change.email_notify = form.emailNotify.trim() === '' ? null : form.emailNotify.trim();
  }
  if (form.language !== now.language) change.language = form.language === 'default' ? null : form.language;
  if (form.emailSender.trim() !== now.emailSender) {
    change.email_sender = form.emailSender.trim() === '' ? null : form.emailSender.trim();
  }
  if (form.editing !== now.editing) change.message_editing = form.editing === 'default' ? null : form.editing === 'on';
  if (form.guardianGroups !== now.guardianGroups) {
    change.guardian_groups = form.guardianGroups === 'default' ? null : form.guardianGroups;
  }
  return change;
}

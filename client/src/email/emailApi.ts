// A person's email notifications (docs/api.md "Email"), through api's `request`: what applies to
// them, and their choice.

import { type Schemas, request } from '../api';

export type EmailNotifications = Schemas['EmailNotifications'];
export type EmailChoice = Schemas['EmailChoice'];
export const EMAIL_CHOICES: readonly EmailChoice[] = ['instant', 'digest', 'none'];

export async function emailNotifications(): Promise<EmailNotifications> {
  return (await request<EmailNotifications>('GET', '/api/me/email-notifications')).data;
}

/** Sets the caller's choice; null: back to the school's default. */
export async function chooseEmail(choice: EmailChoice | null): Promise<EmailNotifications> {
  const body: Schemas['EmailChoiceBody'] = { choice };
  return (await request<EmailNotifications>('PUT', '/api/me/email-notifications', body)).data;
}

export type Languages = Schemas['Languages'];

/** The language the school writes the caller's emails in: theirs, else the school's. */
export async function emailLanguage(): Promise<Languages> {
  return (await request<Languages>('GET', '/api/me/language')).data;
}

/** Sets the language the caller's emails are written in; null: back to the school's. */
export async function chooseEmailLanguage(language: Schemas['Language'] | null): Promise<Languages> {
  const body: Schemas['LanguageBody'] = { language };
  return (await request<Languages>('PUT', '/api/me/language', body)).data;
}

/**
 * Whether the server must be told `ui`, the language on screen, given what it holds
 * (`server`, null while unknown): the school writes a person's emails in the language they
 * read the app in, so the RU/EN switch (or the browser's language, on a first visit) is theirs.
 */
export function languageToSend(ui: Schemas['Language'], server: Languages | null): Schemas['Language'] | null {
  return server !== null && server.language !== ui ? ui : null;
}

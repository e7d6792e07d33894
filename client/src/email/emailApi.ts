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

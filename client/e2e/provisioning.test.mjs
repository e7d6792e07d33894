// End-to-end: the school's own systems put a teacher and a lesson into the chat, and the teacher
// signs in for the first time through the school's OpenID Provider (a real one, ../tests/oidc)
// and finds the chat of their lesson, while an admin watches it arrive; then a pupil the
// school's directory never sent signs in for the first time and gets an account just in time
// (OIDC_PROVISION=students for the school's own email domain), and a departed teacher's pupil
// is told the chat is read-only. In headless Chromium; one cluster for the file.
//
// The teacher is provisioned through SCIM (`POST /scim/v2/Users`, RFC 7643, the role by the
// directory's `teachers` group: SCIM_ROLE_GROUPS) and the lesson through the integration API (`PUT /api/integrations/lessons/
// {external_id}`), both with one provisioning client's token (`tutorchat provisioning-client
// create … --scopes scim,lessons`), never as a person.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { DESKTOP, SERVER_BIN, freePort, launchBrowser, openPage, startCluster } from './harness.mjs';
import { auditor } from './a11y/axe.mjs';
import { apiSession, startProvider } from './school.mjs';

let cluster;
let browser;
let provider; // the school's OpenID Provider
let school; // a replica signing in only through it, provisioning pupils of demo.school just in time
let token; // the provisioning client's bearer token
const pages = []; // every page opened, for the uncaught-error check at the end

before(async () => {
  cluster = await startCluster();
  browser = await launchBrowser();
  const port = await freePort();
  const chat = `http://127.0.0.1:${port}`;
  provider = await startProvider({ redirectUris: [`${chat}/api/auth/callback`], postLogoutRedirectUris: [`${chat}/`] });
  school = await cluster.addReplica(
    'replica-provisioning',
    ({ url }) => ({
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: 'tutorchat',
      OIDC_CLIENT_SECRET: 'tutorchat-test-secret',
      PUBLIC_URL: url,
      DEV_LOGIN: 'false',
      OIDC_PROVISION: 'students',
      OIDC_PROVISION_DOMAINS: 'demo.school',
    }),
    { port },
  );
  token = provisioningToken('e2e-school');
});

after(async () => {
  await browser?.close();
  await provider?.stop();
  await cluster?.stop();
});

// ---- helpers ---------------------------------------------------------------------------

/** A provisioning client's token, from the command line on the cluster's database (printed once). */
function provisioningToken(name) {
  const run = spawnSync(SERVER_BIN, ['provisioning-client', 'create', name, '--scopes', 'scim,lessons'], {
    env: { ...process.env, DATABASE_URL: cluster.a.databaseUrl() },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `provisioning-client create: ${run.stderr}`);
  const found = run.stdout.split(/\s+/).find((word) => /^[A-Za-z0-9_-]{32,}$/.test(word));
  assert.ok(found, `no token in: ${run.stdout}`);
  return found;
}

/** A call of the school's systems, with the provisioning client's token: status and JSON body. */
async function asSchool(method, path, body) {
  const response = await fetch(`${school.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': path.startsWith('/scim/') ? 'application/scim+json' : 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A person as the school's directory sends them over SCIM. */
function scimUser({ externalId, email, name }) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    externalId,
    userName: email,
    name: { formatted: name },
    displayName: name,
    emails: [{ value: email, type: 'work', primary: true }],
    active: true,
  };
}

/**
 * A teacher as the school's directory provisions one: the person, then a member of its
 * `teachers` group (SCIM_ROLE_GROUPS), made by the first teacher. Their SCIM resource.
 */
async function provisionTeacher({ externalId, email, name }) {
  const created = await asSchool('POST', '/scim/v2/Users', scimUser({ externalId, email, name }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const filter = encodeURIComponent('displayName eq "teachers"');
  const found = await asSchool('GET', `/scim/v2/Groups?filter=${filter}`);
  assert.equal(found.status, 200, JSON.stringify(found.body));
  const member = { value: created.body.id };
  const group = found.body.Resources?.[0];
  const joined = group
    ? await asSchool('PATCH', `/scim/v2/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [member] }],
      })
    : await asSchool('POST', '/scim/v2/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'teachers',
        members: [member],
      });
  assert.ok([200, 201, 204].includes(joined.status), JSON.stringify(joined.body));
  return created.body;
}

/** Through the chat's button and the provider's form, signs in as `login` (any password). */
async function signIn(page, login) {
  await page.getByRole('button', { name: 'Sign in with your school account' }).click();
  await page.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.locator('nav[aria-label="Chats"]').waitFor();
}

/** `GET /api/me` from the page (its cookies). */
function me(page) {
  return page.evaluate(async () => (await fetch('/api/me')).json());
}

// ---- the school's systems, then the teacher's first sign-in ---------------------------------

test("a provisioned teacher signs in through the school's provider for the first time and finds the chat of their lesson, while an admin watches it arrive", async () => {
  // The admin, signed in with the school account, looking at every chat.
  const admin = await openPage(browser, school.url);
  pages.push(admin);
  await signIn(admin, 'admin@demo.school');
  assert.equal((await me(admin)).user.role, 'admin');

  // The directory provisions a teacher and a pupil; the timetable completes their lesson.
  const teacher = await provisionTeacher({ externalId: 'T-100', email: 'nina.novikova@demo.school', name: 'Нина Новикова' });
  assert.equal(teacher.externalId, 'T-100');
  const pupil = await asSchool(
    'POST',
    '/scim/v2/Users',
    scimUser({ externalId: 'S-200', email: 'pavel.orlov@demo.school', name: 'Павел Орлов' }),
  );
  assert.equal(pupil.status, 201, JSON.stringify(pupil.body));
  const lesson = await asSchool('PUT', '/api/integrations/lessons/L-1', {
    teacher_external_id: 'T-100',
    student_external_id: 'S-200',
    subject: 'Алгебра',
    scheduled_at: new Date(Date.now() - 3_600_000).toISOString(),
    status: 'completed',
  });
  assert.equal(lesson.status, 201, JSON.stringify(lesson.body));
  // The same lesson again changes nothing.
  const again = await asSchool('PUT', '/api/integrations/lessons/L-1', {
    teacher_external_id: 'T-100',
    student_external_id: 'S-200',
    subject: 'Алгебра',
    scheduled_at: lesson.body.scheduled_at,
    status: 'completed',
  });
  assert.equal(again.status, 200, JSON.stringify(again.body));

  // The admin's list shows the pair's chat live, with both people.
  const adminRow = admin.locator('[data-testid^="chat-"]').filter({ hasText: 'Нина Новикова' }).first();
  await adminRow.waitFor();
  assert.match(await adminRow.innerText(), /Павел Орлов/);
  await adminRow.click(); // and opens it, read-only

  // The teacher's first sign-in: the account the directory made, with the role it gave.
  const page = await openPage(browser, school.url);
  pages.push(page);
  await signIn(page, 'Nina.Novikova@demo.school');
  const signedIn = await me(page);
  assert.equal(signedIn.user.name, 'Нина Новикова');
  assert.equal(signedIn.user.role, 'teacher');
  const row = page.locator('[data-testid^="chat-"]').filter({ hasText: 'Павел Орлов' }).first();
  await row.waitFor();
  await row.click();
  const composer = page.getByTestId('composer');
  await composer.fill('Здравствуйте, Павел! Завтра продолжаем алгебру.');
  await composer.press('Enter');
  await page.getByText('Завтра продолжаем алгебру').first().waitFor();
  // … which the admin, in the chat, sees arrive live.
  await admin.getByText('Завтра продолжаем алгебру').first().waitFor();
  await page.context().close();
  await admin.context().close();
});

test('a pupil the directory never sent gets an account at their first sign-in (OIDC_PROVISION=students); another domain does not', async () => {
  const page = await openPage(browser, school.url);
  pages.push(page);
  await signIn(page, 'new.pupil@demo.school');
  const signedIn = await me(page);
  assert.equal(signedIn.user.role, 'student');
  assert.equal(signedIn.user.name, 'new.pupil');
  await page.context().close();

  const stranger = await openPage(browser, school.url);
  pages.push(stranger);
  await stranger.getByRole('button', { name: 'Sign in with your school account' }).click();
  await stranger.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));
  await stranger.locator('input[name="login"]').fill('someone@elsewhere.example');
  await stranger.locator('input[name="password"]').fill('any password');
  await stranger.getByRole('button', { name: 'Sign-in' }).click();
  const error = stranger.getByTestId('sign-in-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-code'), 'unknown_user');
  await stranger.context().close();
});

test("a departed student's chat leaves the teacher's inbox for the Archived view, which says they left", async () => {
  // On the demo replica: Иван completes his lesson with Alex (their chat opens); Alex graduates.
  const ivan = await apiSession(cluster.b.url, 'ivan@demo.school');
  const lessons = (await ivan.call('GET', '/api/lessons?status=scheduled')).body.lessons;
  const lesson = lessons.find((l) => l.student_name === 'Alex Kim');
  const completed = await ivan.call('POST', `/api/lessons/${lesson.id}/complete`);
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  const admin = await apiSession(cluster.b.url, 'admin@demo.school');
  assert.equal((await admin.call('POST', `/api/admin/users/${lesson.student_id}/deactivate`, {})).status, 204);
  const chat = (await ivan.call('GET', '/api/chats?archived=true')).body.chats.find((c) => c.id === completed.body.chat_id);
  assert.ok(chat, "Alex's chat is archived for Иван");
  assert.equal(chat.participant_departed, true);
  const page = await openPage(browser, cluster.b.url);
  pages.push(page);
  await page.getByTestId('login-ivan@demo.school').click();
  await page.locator('nav[aria-label="Chats"]').waitFor();
  assert.equal(await page.getByTestId(`chat-${chat.id}`).count(), 0, 'not in the inbox');
  await page.getByTestId('archived-view').click();
  const archived = page.getByTestId('archived-chats');
  await archived.getByTestId(`chat-${chat.id}`).waitFor();
  assert.equal(await archived.getByTestId(`departed-${chat.id}`).innerText(), 'left the school');
  await page.context().close();
});

test("a teacher who left: the admin says so in People, the pupil reads but cannot write, and the admin hands the chat to another teacher", async () => {
  const { audit, assertClean } = auditor(); // axe-core's WCAG 2.1 AA on each new view
  const successor = await provisionTeacher({ externalId: 'T-300', email: 'oleg.smirnov@demo.school', name: 'Олег Смирнов' });
  const api = await apiSession(cluster.b.url, 'admin@demo.school');
  const ivan = (await api.call('GET', '/api/admin/users?q=ivan')).body.users.find((u) => u.role === 'teacher');
  const maria = await apiSession(cluster.b.url, 'maria@demo.school');
  const chat = (await maria.call('GET', '/api/chats')).body.chats.find((c) => c.participant?.id === ivan.id);
  assert.ok(chat, 'Мария has a chat with Иван');

  // The admin (replica A) marks Иван as having left, in Moderation → People.
  const admin = await openPage(browser, cluster.a.url);
  pages.push(admin);
  await admin.getByTestId('login-admin@demo.school').click();
  await admin.locator('nav[aria-label="Chats"]').waitFor();
  await admin.getByTestId('moderation-button').click();
  const dialog = admin.getByTestId('moderation-dialog');
  await dialog.getByTestId('moderation-tab-people').click();
  await dialog.getByTestId('people-search').fill('Иван');
  // One click only asks (it used to deactivate at once): Cancel leaves him as he was.
  await dialog.getByTestId(`deactivate-${ivan.id}`).click();
  const confirm = admin.getByRole('dialog', { name: 'Иван Петров left the school?' });
  await confirm.getByText('their pupils can read their chats but not write', { exact: false }).waitFor();
  await audit(admin, 'admin: asked whether a teacher left');
  await confirm.getByTestId('cancel-delete').click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await dialog.getByTestId(`person-row-${ivan.id}`).getAttribute('data-state'), 'active');
  assert.ok(!(await api.call('GET', '/api/admin/users?q=ivan')).body.users.find((u) => u.id === ivan.id).deactivated_at, 'not deactivated');
  await dialog.getByTestId(`deactivate-${ivan.id}`).click();
  await confirm.getByTestId('confirm-delete').click();
  await confirm.waitFor({ state: 'detached' });
  await dialog.getByTestId(`reactivate-${ivan.id}`).waitFor();
  assert.match(await dialog.getByTestId(`person-state-${ivan.id}`).innerText(), /^Left the school on /);
  await audit(admin, 'admin: People, a teacher who left');
  await admin.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  // Мария (replica B) reads the chat and is told why she cannot write.
  const page = await openPage(browser, cluster.b.url);
  pages.push(page);
  await page.getByTestId('login-maria@demo.school').click();
  await page.getByTestId(`chat-${chat.id}`).click();
  const notice = page.getByTestId('teacher-departed');
  await notice.waitFor();
  assert.match(await notice.innerText(), /Your teacher has left the school/);
  assert.equal(await page.getByTestId('composer').count(), 0, 'no composer');
  await audit(page, "student: a departed teacher's chat");

  // The admin opens the chat and hands it over to Олег.
  await admin.getByTestId(`chat-${chat.id}`).click();
  await admin.getByTestId('hand-over-notice').waitFor();
  await audit(admin, "admin: a departed teacher's chat");
  await admin.getByTestId('hand-over').click();
  const handOver = admin.getByTestId('hand-over-dialog');
  await handOver.getByTestId('hand-over-search').fill('Олег');
  await handOver.getByTestId(`hand-over-to-${successor.id}`).waitFor();
  await audit(admin, 'admin: the hand-over dialog');
  await handOver.getByTestId(`hand-over-to-${successor.id}`).click();
  await handOver.waitFor({ state: 'detached' });
  await admin.getByTestId('read-only').waitFor(); // an ordinary chat again, read-only for an admin

  // Мария's chat opens again, live, with her new teacher; she writes.
  const composer = page.getByTestId('composer');
  await composer.waitFor();
  await composer.fill('Здравствуйте, Олег Николаевич!');
  await composer.press('Enter');
  await page.getByText('Здравствуйте, Олег Николаевич!').first().waitFor();
  await page.getByTestId('message-pending').waitFor({ state: 'detached' });
  const now = (await maria.call('GET', '/api/chats')).body.chats.find((c) => c.id === chat.id);
  assert.equal(now.participant.name, 'Олег Смирнов', 'her teacher is Олег now');
  assert.equal(now.teacher_departed, false);
  await page.context().close();
  await admin.context().close();
  assertClean();
});

test('no page threw an uncaught error', () => {
  for (const page of pages) assert.deepEqual(page.errors, [], page.url());
});

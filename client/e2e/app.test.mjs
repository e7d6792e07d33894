// End-to-end: the built client in headless Chromium against two tutorchat replicas on one
// database. The tests run in order and share the pages: each step builds on the last. The
// steps live in app/ by what they are about (each module's `register` adds its tests, in
// order); what they share is app/state.mjs (the replicas, the browser, the pages, ids learnt on
// the way), their helpers app/helpers.mjs.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as attachments from './app/attachments.mjs';
import * as failover from './app/failover.mjs';
import * as groups from './app/groups.mjs';
import * as inquiries from './app/inquiries.mjs';
import * as language from './app/language.mjs';
import * as lessons from './app/lessons.mjs';
import * as messaging from './app/messaging.mjs';
import * as paging from './app/paging.mjs';
import * as phone from './app/phone.mjs';
import * as presence from './app/presence.mjs';
import * as reading from './app/reading.mjs';
import * as session from './app/session.mjs';
import { pages, start, stop } from './app/state.mjs';

before(start);
after(stop);

// ---- the story, in order ------------------------------------------------------------------

messaging.register();
reading.register();
presence.register();
lessons.register();
phone.register();
language.register();
failover.register();
attachments.register();
groups.register();
inquiries.register();
paging.register();
session.register();

test('no page threw an uncaught error', () => {
  for (const [who, page] of Object.entries(pages)) assert.deepEqual(page.errors, [], who);
});

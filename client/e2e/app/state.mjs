// What the app's end-to-end steps share: the replicas and the browser, the pages by who is
// signed in, and what earlier steps learnt (chat ids, user ids, message ids). Each step builds
// on the last, so a step reads what one before it set.
//
// The ids set by one step and read by later ones are `let` bindings, exported: an importer
// sees the current value (ES modules' live bindings), and only this module can assign them,
// through the setters below. The objects are shared as they are and filled in by the steps.

import { mkdirSync } from 'node:fs';

import { RESULTS_DIR, launchBrowser, startCluster } from '../harness.mjs';

export let cluster;
export let browser;
/**
 * Pages by who is signed in: student (Мария) on A and her second tab (studentTab) on B, teacher
 * (Иван) on B, admin on A, alex (phone) on B, alex again in a Russian browser (russian) on A,
 * a visitor of Иван's inquiry link without an account (guest, a private window) on A, and
 * another one (secondGuest) on B.
 */
export const pages = {};
export let chatId; // Мария ↔ Иван
export let alexChat; // Alex ↔ Иван, opened by the lessons step
export let groupId; // Иван's group with Мария and Alex, created by the group steps
export const inquiry = {}; // Иван's inquiry link (linkId, path), the chat a visitor opened with it (chatId) and a second visitor's (secondChatId)
export const ids = {}; // user ids by name
export const sent = {}; // message ids by name
export const adminReads = []; // requests of the admin's page that would mark something read (none)
export const adminTyping = []; // requests of the admin's page that would say it types (none)

export const setChatId = (id) => (chatId = id);
export const setAlexChat = (id) => (alexChat = id);
export const setGroupId = (id) => (groupId = id);

/** Starts the replicas and the browser (`before` all steps). */
export async function start() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
}

/** Closes the browser and stops the replicas (`after` all steps). */
export async function stop() {
  await browser?.close();
  await cluster?.stop();
}

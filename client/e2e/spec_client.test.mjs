// End-to-end: the primary specification's own frontend code, as the specification gives it
// (its `EventSource` effect and its optimistic `sendMessage`), run in headless Chromium against
// two tutorchat replicas. React's state is shimmed by a list (`setMessages(update)` applies the
// update, `useEffect(effect)` runs the effect once): the code itself is the specification's,
// word for word. That client appends every `new_message` and replaces its optimistic copy with
// the POST's answer, so an echo of `new_message` to the sender would show the message twice.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { RESULTS_DIR, launchBrowser, openPage, openTab, startCluster } from './harness.mjs';
import { api, signIn } from './app/helpers.mjs';

let cluster;
let browser;

before(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  cluster = await startCluster();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** The specification's client code, with the shim, for `userId` in `chatId`. */
function specClient(userId, chatId) {
  return `
window.state = { messages: [], errors: [] };
const setMessages = (update) => { window.state.messages = update(window.state.messages); };
const useEffect = (effect) => { window.state.cleanup = effect(); };
const currentUserId = ${userId};
const currentChatId = ${chatId};

useEffect(() => {
  // Открыть соединение
  const eventSource = new EventSource('/api/events/chat', {
    withCredentials: true // отправлять cookies с JWT
  });
  window.state.eventSource = eventSource;

  // Подписаться на событие "new_message"
  eventSource.addEventListener('new_message', (e) => {
    const data = JSON.parse(e.data);

    // Добавить сообщение в state
    setMessages(prev => [...prev, data.message]);
  });

  // Подписаться на событие "message_deleted"
  eventSource.addEventListener('message_deleted', (e) => {
    const data = JSON.parse(e.data);

    // Удалить сообщение из state
    setMessages(prev => prev.filter(m => m.id !== data.message_id));
  });

  // Обработка ошибок
  eventSource.onerror = () => {
    console.log('SSE connection lost, will retry');
  };

  // Закрыть при размонтировании
  return () => {
    eventSource.close();
  };
}, []);

const sendMessage = async (content) => {
  // Оптимистично показать сразу (до ответа сервера)
  const tempMessage = {
    id: 'temp-' + Date.now(),
    sender_id: currentUserId,
    content: content,
    created_at: new Date().toISOString(),
    pending: true // флаг "отправляется"
  };

  setMessages(prev => [...prev, tempMessage]);

  // Отправить на сервер
  const response = await fetch('/api/messages', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      chat_id: currentChatId,
      content: content
    })
  });

  const savedMessage = await response.json();

  // Заменить временное сообщение на настоящее
  setMessages(prev =>
    prev.map(m => m.id === tempMessage.id ? savedMessage : m)
  );
};
window.sendMessage = sendMessage;
`;
}

/** A signed-in page of `email` on `url`, running the specification's client in its chat with `partner`. */
async function specPage(page, partner) {
  const me = await api(page, 'GET', '/api/me');
  const chats = await api(page, 'GET', '/api/chats');
  const chat = chats.body.chats.find((c) => c.kind === 'direct' && c.participant?.name === partner);
  // A plain page of the replica's origin (its cookie, its `/api`), without the web client.
  await page.goto('/healthz');
  // Evaluated, not a <script>: the page's Content-Security-Policy allows no inline script.
  await page.evaluate(specClient(me.body.user.id, chat.id));
  await page.waitForFunction(() => window.state.eventSource.readyState === EventSource.OPEN);
  return chat.id;
}

/** How many of the page's messages have `content`, and whether any is still pending. */
function copies(page, content) {
  return page.evaluate(
    (content) => window.state.messages.filter((m) => m.content === content).map((m) => m.pending === true),
    content,
  );
}

async function waitFor(page, content) {
  await page.waitForFunction(
    (content) => window.state.messages.some((m) => m.content === content && !m.pending),
    content,
  );
}

test("the specification's own client shows a message it sent once, in every tab, on either replica", async () => {
  const maria = await openPage(browser, cluster.a.url);
  await signIn(maria, 'maria@demo.school');
  const otherTab = await openTab(maria, `${cluster.b.url}/`); // Мария's cookie, the other replica
  const ivan = await openPage(browser, cluster.b.url);
  await signIn(ivan, 'ivan@demo.school');
  const chat = await specPage(maria, 'Иван Петров');
  assert.equal(await specPage(otherTab, 'Иван Петров'), chat);
  assert.equal(await specPage(ivan, 'Мария Иванова'), chat);

  const text = 'Из кода спецификации';
  await maria.evaluate((text) => window.sendMessage(text), text);
  await waitFor(ivan, text);
  // Иван answers: once his answer is in Мария's tabs, everything sent before it is too.
  const answer = 'Получил';
  await ivan.evaluate((answer) => window.sendMessage(answer), answer);
  await waitFor(maria, answer);
  assert.deepEqual(await copies(maria, text), [false], 'the sending tab shows its message once, saved');
  assert.deepEqual(await copies(ivan, text), [false], 'the partner gets it once');
  // The sender's other tab runs the specification's client too, which listens to `new_message`
  // only: it learns of its own user's message when it reloads the history (the web client
  // keeps such tabs in step with `message_sent`: own_messages.test.mjs).
  await waitFor(otherTab, answer);
  assert.deepEqual(await copies(otherTab, text), [], "the sender's other tab gets no new_message of it");
  assert.deepEqual(await copies(ivan, answer), [false], "the partner's own answer, once");
  for (const page of [maria, otherTab, ivan]) assert.deepEqual(page.errors, []);
});

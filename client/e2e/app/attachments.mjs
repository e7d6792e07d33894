// A part of the app's end-to-end story (app.test.mjs registers the parts in order). Attachments:
// uploads, previews live on the other replica, the same bytes downloaded, what a non-member gets;
// then the screenshot for the docs.

import assert from 'node:assert/strict';
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

import { CLIENT_DIR, RESULTS_DIR, openPage } from '../harness.mjs';
import {
  api,
  fetchDigest,
  makePng,
  messageWith,
  screenshot,
  sha256,
  signIn,
  uploaded,
  waitConnection,
  waitForMessage,
  waitRow,
} from './helpers.mjs';
import { browser, chatId, cluster, pages } from './state.mjs';

/** Registers these steps, in the story's order. */
export function register() {
  test("attachments: the student (A) uploads an image, the teacher (B) sees the preview live and downloads the same bytes; a non-member's request for the file is 403", async () => {
    const { student, teacher, admin } = pages;
    for (const page of [student, teacher, admin]) await page.getByTestId(`chat-${chatId}`).click();
    await waitConnection(teacher, 'live');
    const input = student.getByTestId('attach-input');

    // Refused before uploading, with a clear message: a file over 25 MB. A sparse file on disk, given
    // by path: 25 MB sent as a buffer crosses the browser protocol as base64, which on a loaded
    // machine outlasted the action timeout.
    await input.setInputFiles(sparseFile('лекция.mp4', 25 * 1024 * 1024 + 1));
    await student.getByTestId('upload-refused').filter({ hasText: '“лекция.mp4” is larger than 25 MB and was not added.' }).waitFor();
    assert.equal(await student.getByTestId('upload').count(), 0);
    await student.getByTestId('dismiss-refused').click();
    await student.getByTestId('upload-refused').waitFor({ state: 'detached' });

    // An image: it uploads at once, and a message of it alone (no text) can be sent.
    const png = makePng(64, 40, (x, y) => [x < 32 ? 230 : 70, y < 20 ? 120 : 200, 160]); // four colours: under 1 KB
    const posts = [];
    const recordPost = (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/messages') posts.push(request.postDataJSON());
    };
    student.on('request', recordPost);
    assert.equal(await student.getByTestId('send').isDisabled(), true);
    await input.setInputFiles({ name: 'доска.png', mimeType: 'image/png', buffer: png });
    const imageId = await uploaded(student, 'доска.png');
    assert.match(await student.getByTestId('upload').innerText(), new RegExp(`доска\\.png\\s+${png.length} B`));
    assert.equal(await student.getByTestId('send').isDisabled(), false);
    await student.getByTestId('send').click();
    await student.getByTestId(`attachment-image-${imageId}`).waitFor();
    await student.getByTestId('message-pending').waitFor({ state: 'detached' });
    assert.equal(await student.getByTestId('upload').count(), 0, 'the composer is empty again');
    student.off('request', recordPost);
    assert.deepEqual(posts, [{ chat_id: chatId, content: '', attachment_ids: [imageId] }]);
    const imageMessage = await messageWith(student, `attachment-image-${imageId}`);

    // The teacher, on the other replica, sees the image live, loaded, in a box of its size.
    const image = teacher.getByTestId(`attachment-image-${imageId}`);
    await image.waitFor();
    await teacher.waitForFunction((id) => {
      const img = document.querySelector(`[data-testid="attachment-image-${id}"]`);
      return img?.complete && img.naturalWidth > 0;
    }, imageId);
    assert.deepEqual(await image.evaluate((img) => [img.naturalWidth, img.naturalHeight]), [64, 40]);
    assert.deepEqual([await image.getAttribute('width'), await image.getAttribute('height')], ['64', '40']);
    assert.equal(await image.getAttribute('loading'), 'lazy');
    assert.equal(await messageWith(teacher, `attachment-image-${imageId}`), imageMessage);
    await waitRow(teacher, chatId, '🖼 Photo');
    await screenshot(teacher, '09a-teacher-sees-image');
    // What it downloads is what she uploaded, byte for byte, always as a download.
    const fetched = await fetchDigest(teacher, `/api/attachments/${imageId}`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.sha256, sha256(png));
    assert.match(fetched.disposition ?? '', /^attachment;/);
    assert.equal(fetched.nosniff, 'nosniff');
    const history = await api(teacher, 'GET', `/api/chats/${chatId}/messages`);
    const saved = history.body.messages.find((m) => m.id === imageMessage);
    assert.equal(saved.type, 'image');
    assert.deepEqual(
      saved.attachments.map(({ id, name, content_type, size, sha256, width, height }) => ({ id, name, content_type, size, sha256, width, height })),
      [{ id: imageId, name: 'доска.png', content_type: 'image/png', size: png.length, sha256: sha256(png), width: 64, height: 40 }],
    );
    // A click shows it whole; Escape closes it.
    await teacher.getByTestId(`open-image-${imageId}`).click();
    await teacher.getByTestId('image-viewer').waitFor();
    await screenshot(teacher, '09b-image-viewer');
    await teacher.keyboard.press('Escape');
    await teacher.getByTestId('image-viewer').waitFor({ state: 'detached' });
    // The admin (read-only) sees and downloads it too.
    await admin.getByTestId(`attachment-image-${imageId}`).waitFor();
    assert.equal((await fetchDigest(admin, `/api/attachments/${imageId}`)).sha256, sha256(png));

    // Someone not in the chat (signed in on their own, in a private window) is refused it: as if it did not exist.
    const users = (await api(teacher, 'GET', '/api/dev/users')).body.users;
    // (Not Мария's guardian either: she reads Мария's chats, and their files, by right.)
    const outsider = users.find(
      (u) => !['admin', 'guardian'].includes(u.role) && !['maria@demo.school', 'ivan@demo.school'].includes(u.email),
    );
    assert.ok(outsider, 'a demo user outside the chat');
    const other = (pages.outsider = await openPage(browser, cluster.a.url));
    await signIn(other, outsider.email);
    assert.equal((await fetchDigest(other, `/api/attachments/${imageId}`)).status, 403);
    await other.context().close();

    // A file with a Cyrillic name and a caption: a chip whose link downloads it under its name.
    const text = Buffer.from('Ответ: x = 4\nПроверка: 2·4 − 8 = 0\n', 'utf8');
    await student.getByTestId('composer').fill('Решение задачи 5');
    await input.setInputFiles({ name: 'решение.txt', mimeType: 'text/plain', buffer: text });
    const fileId = await uploaded(student, 'решение.txt');
    await student.getByTestId('composer').press('Enter');
    const [fileMessage] = await waitForMessage(student, 'Решение задачи 5');
    assert.deepEqual(await waitForMessage(teacher, 'Решение задачи 5'), [fileMessage]);
    const chip = teacher.getByTestId(`attachment-file-${fileId}`);
    assert.equal(await messageWith(teacher, `attachment-file-${fileId}`), fileMessage);
    assert.equal(await chip.getAttribute('href'), `/api/attachments/${fileId}`);
    assert.equal(await chip.getAttribute('download'), 'решение.txt');
    assert.match(await chip.innerText(), new RegExp(`решение\\.txt\\s+${text.length} B`));
    await waitRow(teacher, chatId, '📎 Решение задачи 5');
    const [download] = await Promise.all([teacher.waitForEvent('download'), chip.click()]);
    assert.equal(download.suggestedFilename(), 'решение.txt');
    assert.equal(sha256(readFileSync(await download.path())), sha256(text));

    // Pasting an image and dropping a file on the conversation attach them too; × takes them out.
    await student.getByTestId('composer').focus();
    await student.evaluate((bytes) => {
      const clipboard = new DataTransfer();
      clipboard.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
      document.querySelector('[data-testid="composer"]').dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }),
      );
    }, [...png]);
    await uploaded(student, 'image.png');
    const dropped = await student.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['черновик'], 'черновик.txt', { type: 'text/plain' }));
      return transfer;
    });
    await student.locator('.conversation').dispatchEvent('dragenter', { dataTransfer: dropped });
    await student.getByTestId('drop-overlay').waitFor();
    await student.locator('.conversation').dispatchEvent('drop', { dataTransfer: dropped });
    await student.getByTestId('drop-overlay').waitFor({ state: 'detached' });
    await uploaded(student, 'черновик.txt');
    await screenshot(student, '09c-composer-attachments');
    for (const name of ['image.png', 'черновик.txt']) {
      await student.locator(`[data-testid="upload"][data-name="${name}"]`).getByTestId('remove-upload').click();
    }
    await student.getByTestId('uploads').waitFor({ state: 'detached' });
    assert.equal(await student.getByTestId('send').isDisabled(), true);
  });

  test('the screenshot for the docs', async () => {
    const { teacher } = pages;
    await teacher.setViewportSize({ width: 1200, height: 760 });
    await teacher.getByTestId('composer').fill('Мария, отлично! Завтра разберём задачу 5 🎯');
    await teacher.mouse.move(600, 20); // no hover left over from earlier clicks
    await waitConnection(teacher, 'live');
    // A smaller window keeps the newest message in view.
    await teacher.waitForFunction(() => {
      const el = document.querySelector('.messages');
      return el.scrollHeight - el.scrollTop - el.clientHeight < 2;
    });
    const out = join(RESULTS_DIR, 'app.png');
    await teacher.screenshot({ path: out });
    if (process.env.UPDATE_SCREENSHOT === '1') {
      const docs = resolve(CLIENT_DIR, '../docs');
      mkdirSync(docs, { recursive: true });
      copyFileSync(out, join(docs, 'screenshot.png'));
    }
    await teacher.getByTestId('composer').fill('');
  });
}

/** A file of `size` bytes of zeros that takes no room on disk, in a directory of its own. */
function sparseFile(name, size) {
  const path = join(mkdtempSync(join(tmpdir(), 'tutorchat-upload-')), name);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return path;
}

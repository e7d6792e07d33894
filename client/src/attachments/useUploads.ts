// The composer's uploads, per chat, outside React: an upload goes on while its chat is not on
// screen (switching chats, like the draft text, keeps it), and files dropped anywhere on a
// conversation reach its composer. Each chat's state is uploads.ts's reducer; this module
// starts the requests (`api.uploadAttachment`), keeps the picked files for a retry and the
// object URLs of the image previews, and lets components follow a chat's state
// (`useUploads`, through useSyncExternalStore).

import type { TFunction } from 'i18next';
import { useCallback, useSyncExternalStore } from 'react';

import * as api from '../api';
import { isInlineImage } from './attachments';
import { errorText } from '../errors';
import { type Refusal, type Upload, type UploadAction, checkPicked, uploadsReducer } from './uploads';

export interface ChatUploads {
  uploads: readonly Upload[];
  /** The files the last pick refused (too large, too many), until the next pick or dismissed. */
  refused: readonly Refusal[];
}

const EMPTY: ChatUploads = { uploads: [], refused: [] };

const state = new Map<number, ChatUploads>();
/** The picked file of each upload (to retry it) and how to stop its request. */
const files = new Map<string, File>();
const aborts = new Map<string, () => void>();
const listeners = new Set<() => void>();

let counter = 0;
const uploadKey = () => `upload-${Date.now()}-${++counter}`;

function set(chatId: number, next: ChatUploads): void {
  if (state.get(chatId) === next) return;
  if (next.uploads.length === 0 && next.refused.length === 0) state.delete(chatId);
  else state.set(chatId, next);
  for (const listener of listeners) listener();
}

function dispatch(chatId: number, action: UploadAction): void {
  const current = state.get(chatId) ?? EMPTY;
  const uploads = uploadsReducer(current.uploads, action);
  if (uploads !== current.uploads) set(chatId, { ...current, uploads });
}

/** Forgets an upload's file, request and preview (it was removed, or sent). */
function release(upload: Upload): void {
  aborts.get(upload.key)?.();
  aborts.delete(upload.key);
  files.delete(upload.key);
  if (upload.previewUrl) URL.revokeObjectURL(upload.previewUrl);
}

/** `t`: the words of a failure (errors.ts). */
function start(chatId: number, key: string, file: File, t: TFunction): void {
  const handle = api.uploadAttachment(chatId, file, (sent) => dispatch(chatId, { type: 'progress', key, sent }));
  aborts.set(key, handle.abort);
  handle.done.then(
    (attachment) => {
      aborts.delete(key);
      dispatch(chatId, { type: 'succeeded', key, attachment });
    },
    (error: unknown) => {
      aborts.delete(key);
      if (error instanceof DOMException && error.name === 'AbortError') return; // removed meanwhile
      dispatch(chatId, { type: 'failed', key, error: errorText(error, t) });
    },
  );
}

/** Picked, dropped or pasted files for `chatId`'s next message: the acceptable ones upload at once. */
export function addFiles(chatId: number, picked: readonly File[], t: TFunction): void {
  if (picked.length === 0) return;
  const current = state.get(chatId) ?? EMPTY;
  const { accepted, refused } = checkPicked(picked, current.uploads.length);
  const added = accepted.map((file) => ({
    key: uploadKey(),
    name: file.name || 'file',
    size: file.size,
    contentType: file.type,
    previewUrl: isInlineImage({ content_type: file.type }) ? URL.createObjectURL(file) : null,
    file,
  }));
  const uploads = added.map(({ file: _file, ...upload }) => upload);
  set(chatId, { uploads: uploadsReducer(current.uploads, { type: 'added', uploads }), refused });
  for (const { key, file } of added) {
    files.set(key, file);
    start(chatId, key, file, t);
  }
}

export function retryUpload(chatId: number, key: string, t: TFunction): void {
  const file = files.get(key);
  const upload = state.get(chatId)?.uploads.find((u) => u.key === key);
  if (!file || upload?.status !== 'failed') return;
  dispatch(chatId, { type: 'retried', key });
  start(chatId, key, file, t);
}

/** Takes an upload out of the composer (stopping it if it is under way). */
export function removeUpload(chatId: number, key: string): void {
  const upload = state.get(chatId)?.uploads.find((u) => u.key === key);
  if (!upload) return;
  release(upload);
  dispatch(chatId, { type: 'removed', key });
}

/** The uploads a message was just sent with leave the composer (the message shows them now). */
export function uploadsSent(chatId: number, keys: readonly string[]): void {
  const current = state.get(chatId);
  if (!current) return;
  for (const upload of current.uploads) if (keys.includes(upload.key)) release(upload);
  set(chatId, { uploads: uploadsReducer(current.uploads, { type: 'sent', keys }), refused: [] });
}

export function dismissRefused(chatId: number): void {
  const current = state.get(chatId);
  if (current && current.refused.length > 0) set(chatId, { ...current, refused: [] });
}

/** Forgets every chat's uploads (signing out), stopping those under way. */
export function clearUploads(): void {
  for (const { uploads } of state.values()) uploads.forEach(release);
  state.clear();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `chatId`'s uploads, re-rendering as they change. */
export function useUploads(chatId: number): ChatUploads {
  const snapshot = useCallback(() => state.get(chatId) ?? EMPTY, [chatId]);
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

// The files a composer is about to send, as a pure reducer: each picked file uploads at once
// (`POST /api/chats/{id}/attachments`), so that sending is quick and its progress is visible,
// and becomes an attachment the message then names (`attachment_ids`). Which files are
// refused before uploading (too large, too many), and when the message can be sent, are pure
// functions too; the requests and their timing are useUploads.ts's.
//
// An upload goes `uploading` → `done` (its attachment) or `failed` (the server's reason) →
// (retry) `uploading` again; removed or sent, it is gone. Events for an upload that is gone,
// or that already ended, change nothing: an aborted request may still report.

import type { Attachment } from '../api';
import { MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES } from './attachments';
import { MAX_MESSAGE_CHARS, messageLength } from '../conversation/compose';

export interface Upload {
  /** Local key, stable across retries. */
  key: string;
  name: string;
  /** Bytes. */
  size: number;
  contentType: string;
  /** A picked image shown before it is sent (an object URL), else null. */
  previewUrl: string | null;
  status: 'uploading' | 'done' | 'failed';
  /** Bytes sent so far (of this attempt). */
  sent: number;
  /** Once uploaded. */
  attachment: Attachment | null;
  /** Why it failed (the server's words). */
  error: string | null;
}

export type NewUpload = Pick<Upload, 'key' | 'name' | 'size' | 'contentType' | 'previewUrl'>;

export type UploadAction =
  | { type: 'added'; uploads: NewUpload[] }
  | { type: 'progress'; key: string; sent: number }
  | { type: 'succeeded'; key: string; attachment: Attachment }
  | { type: 'failed'; key: string; error: string }
  | { type: 'retried'; key: string }
  | { type: 'removed'; key: string }
  /** The message carrying these was handed over for sending: they leave the composer. */
  | { type: 'sent'; keys: readonly string[] };

function update(state: readonly Upload[], key: string, change: (upload: Upload) => Upload | null): Upload[] {
  const upload = state.find((u) => u.key === key);
  if (!upload) return state as Upload[];
  const next = change(upload);
  return next === upload ? (state as Upload[]) : state.map((u) => (u === upload ? next! : u));
}

export function uploadsReducer(state: readonly Upload[], action: UploadAction): Upload[] {
  switch (action.type) {
    case 'added': {
      const fresh = action.uploads.filter((u) => !state.some((s) => s.key === u.key));
      if (fresh.length === 0) return state as Upload[];
      const added = fresh.map((u): Upload => ({ ...u, status: 'uploading', sent: 0, attachment: null, error: null }));
      return [...state, ...added];
    }
    case 'progress':
      return update(state, action.key, (u) =>
        // Only forward, and only while uploading (a late report of an ended attempt is stale).
        u.status !== 'uploading' || action.sent <= u.sent ? u : { ...u, sent: Math.min(action.sent, u.size) },
      );
    case 'succeeded':
      return update(state, action.key, (u) =>
        u.status !== 'uploading' ? u : { ...u, status: 'done', sent: u.size, attachment: action.attachment, error: null },
      );
    case 'failed':
      return update(state, action.key, (u) => (u.status !== 'uploading' ? u : { ...u, status: 'failed', error: action.error }));
    case 'retried':
      return update(state, action.key, (u) => (u.status !== 'failed' ? u : { ...u, status: 'uploading', sent: 0, error: null }));
    case 'removed':
      return state.some((u) => u.key === action.key) ? state.filter((u) => u.key !== action.key) : (state as Upload[]);
    case 'sent':
      return state.some((u) => action.keys.includes(u.key))
        ? state.filter((u) => !action.keys.includes(u.key))
        : (state as Upload[]);
  }
}

/** How far an upload is, 0–1. */
export function uploadProgress(upload: Pick<Upload, 'status' | 'sent' | 'size'>): number {
  if (upload.status === 'done') return 1;
  if (upload.size <= 0) return 0;
  return Math.min(1, Math.max(0, upload.sent / upload.size));
}

/** A file refused before uploading, and why. */
export interface Refusal {
  name: string;
  reason: 'too-large' | 'too-many';
}

/**
 * Which of the picked `files` to upload, given how many the composer holds already: every
 * file up to `MAX_ATTACHMENT_BYTES`, until the message would carry `MAX_ATTACHMENTS`; the
 * others refused, each with its reason.
 */
export function checkPicked<F extends { name: string; size: number }>(
  files: readonly F[],
  alreadyHeld: number,
): { accepted: F[]; refused: Refusal[] } {
  const accepted: F[] = [];
  const refused: Refusal[] = [];
  for (const file of files) {
    if (file.size > MAX_ATTACHMENT_BYTES) refused.push({ name: file.name, reason: 'too-large' });
    else if (alreadyHeld + accepted.length >= MAX_ATTACHMENTS) refused.push({ name: file.name, reason: 'too-many' });
    else accepted.push(file);
  }
  return { accepted, refused };
}

/** The attachments a message sent now would carry: the finished uploads, in the order picked. */
export function readyAttachments(uploads: readonly Upload[]): Attachment[] {
  return uploads.flatMap((u) => (u.status === 'done' && u.attachment ? [u.attachment] : []));
}

/**
 * Why the composer cannot send now, or null if it can: a message needs text or at least one
 * finished upload (`empty`), at most `MAX_MESSAGE_CHARS` of text (`too-long`), and waits for
 * the uploads under way (`uploading`). A failed upload does not hold the message back; it
 * stays in the composer to be retried or removed.
 */
export function composerBlocker(text: string, uploads: readonly Upload[]): 'empty' | 'too-long' | 'uploading' | null {
  if (messageLength(text) > MAX_MESSAGE_CHARS) return 'too-long';
  if (uploads.some((u) => u.status === 'uploading')) return 'uploading';
  if (text.trim() === '' && readyAttachments(uploads).length === 0) return 'empty';
  return null;
}

/** The text to send: as written, or nothing when it is blank beside attachments. */
export function contentToSend(text: string): string {
  return text.trim() === '' ? '' : text;
}

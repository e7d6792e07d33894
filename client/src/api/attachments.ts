// Attachments: where a file's bytes are, uploading one (with its progress), and what the server
// describes one as.

import { refusal, renewSession, renewable } from './request';
import type { Attachment } from './types';

/** Where an attachment's bytes are (members of its chat and admins; cookie auth, so `<img>` and links work). */
export function attachmentUrl(id: number): string {
  return `/api/attachments/${id}`;
}

/** An upload under way: its answer, and a way to stop it (the answer then rejects with an `AbortError`). */
export interface UploadHandle {
  done: Promise<Attachment>;
  abort: () => void;
}

/**
 * Uploads one file to a chat (`multipart/form-data`, one part `file`, its name kept) for a
 * message still to be sent. Through XMLHttpRequest rather than `fetch`, for its upload
 * progress: `onProgress(sent, total)` as the bytes go out. Errors as with `request`: the
 * server's `{"error"}` as an ApiError (413 too large, 429 over the daily quota), a network
 * failure as a TypeError (`errorText` says the server cannot be reached).
 */
export function uploadAttachment(
  chatId: number,
  file: File,
  onProgress: (sent: number, total: number) => void,
): UploadHandle {
  // A token that ran out is renewed, and the file sent again once (as `request` does).
  let current = uploadOnce(chatId, file, onProgress);
  let aborted = false;
  const done = current.done.catch(async (error: unknown) => {
    if (aborted || !renewable(error) || !(await renewSession())) throw error;
    current = uploadOnce(chatId, file, onProgress);
    return current.done;
  });
  return {
    done,
    abort: () => {
      aborted = true;
      current.abort();
    },
  };
}

function uploadOnce(chatId: number, file: File, onProgress: (sent: number, total: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', `/api/chats/${chatId}/attachments`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        parsed = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && isAttachment(parsed)) {
        resolve(parsed);
        return;
      }
      reject(refusal(xhr.status, parsed, xhr.statusText));
    };
    xhr.onerror = () => reject(new TypeError('upload failed'));
    xhr.onabort = () => reject(new DOMException('upload aborted', 'AbortError'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** Whether `value` is an attachment as the server describes one. */
export function isAttachment(value: unknown): value is Attachment {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  return (
    int(a.id) &&
    typeof a.name === 'string' &&
    typeof a.content_type === 'string' &&
    int(a.size) &&
    typeof a.sha256 === 'string' &&
    (a.width === undefined || a.width === null || int(a.width)) &&
    (a.height === undefined || a.height === null || int(a.height))
  );
}

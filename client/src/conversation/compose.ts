// The limits of a message being written, as the server checks them (compose and edit).

export const MAX_MESSAGE_CHARS = 10_000;

/** Length in Unicode code points, as the server counts it. */
export function messageLength(text: string): number {
  return [...text].length;
}

/** Why `text` cannot be sent, or null if it can. */
export function sendBlocker(text: string): 'empty' | 'too-long' | null {
  if (text.trim() === '') return 'empty';
  if (messageLength(text) > MAX_MESSAGE_CHARS) return 'too-long';
  return null;
}

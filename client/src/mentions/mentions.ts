// Mentions, as pure functions: a message's text cut into plain runs and the "@Name" of each
// person it mentions (the server resolved whom: `mentions`, named as they are now), whether a
// message mentions me, and, while writing in a group, the mention being typed at the caret,
// the members that complete it and the text with the chosen one put in.

import type { components } from '../generated/api';

/** Someone a message mentions, named as they are now. */
export type Mention = components['schemas']['Mention'];

/** A letter or a digit (of any script): what a name may not be followed by, nor an "@" follow. */
const WORD = /[\p{L}\p{N}]/u;

/** A run of a message's text: plain, or the "@Name" of someone it mentions. */
export interface Segment {
  text: string;
  /** Whom it mentions (absent: plain text). */
  mention?: Mention;
}

/** The text cut at each "@Name" of someone in `mentions`: at a word's start, any case, the
 * longest name that fits, ended by the text's end or a character that is not a letter or a
 * digit (as the server resolves them). A name changed since shows as plain text. */
export function mentionSegments(content: string, mentions: readonly Mention[]): Segment[] {
  if (mentions.length === 0) return [{ text: content }];
  const lower = content.toLowerCase();
  const segments: Segment[] = [];
  let plainFrom = 0;
  let i = 0;
  while (i < content.length) {
    const at = content.indexOf('@', i);
    if (at < 0) break;
    const found = at > 0 && WORD.test(content[at - 1] ?? '') ? undefined : longestAt(content, lower, at + 1, mentions);
    if (!found) {
      i = at + 1;
      continue;
    }
    if (at > plainFrom) segments.push({ text: content.slice(plainFrom, at) });
    const end = at + 1 + found.name.length;
    segments.push({ text: content.slice(at, end), mention: found });
    plainFrom = i = end;
  }
  if (plainFrom < content.length) segments.push({ text: content.slice(plainFrom) });
  return segments;
}

/** The mentioned person with the longest name written at `from`, followed by no letter or digit. */
function longestAt(content: string, lower: string, from: number, mentions: readonly Mention[]): Mention | undefined {
  let best: Mention | undefined;
  for (const mention of mentions) {
    const name = mention.name.toLowerCase();
    if (name === '' || !lower.startsWith(name, from)) continue;
    const next = content[from + mention.name.length];
    if (next !== undefined && WORD.test(next)) continue;
    if (!best || mention.name.length > best.name.length) best = mention;
  }
  return best;
}

/** Whether `mentions` name the person `meId`. */
export function mentionsMe(mentions: readonly Mention[], meId: number): boolean {
  return mentions.some((m) => m.id === meId);
}

/** The mention being typed: where its "@" is, and what follows it up to the caret. */
export interface MentionQuery {
  start: number;
  typed: string;
}

/** Longest text after an "@" still taken for a name being typed. */
const MAX_TYPED = 60;

/** The mention being typed before `caret`: the last "@" at a word's start, with no line
 * break or other "@" between it and the caret; null when there is none. */
export function mentionQuery(text: string, caret: number): MentionQuery | null {
  const before = text.slice(0, caret);
  const start = before.lastIndexOf('@');
  if (start < 0 || (start > 0 && WORD.test(before[start - 1] ?? ''))) return null;
  const typed = before.slice(start + 1);
  if (typed.length > MAX_TYPED || /[\n@]/.test(typed)) return null;
  return { start, typed };
}

/** Most members offered at once. */
export const MAX_OFFERED = 8;

/** The members whose name, or one of its words, starts with `typed` (any case), by name; all
 * of them (the first MAX_OFFERED) for nothing typed yet. */
export function completions<P extends { id: number; name: string }>(members: readonly P[], typed: string): P[] {
  const query = typed.toLowerCase();
  const fits = (name: string) => {
    const lower = name.toLowerCase();
    return lower.startsWith(query) || lower.split(/\s+/).some((word) => word.startsWith(query));
  };
  return members
    .filter((m) => m.name !== '' && fits(m.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, MAX_OFFERED);
}

/** `text` with the mention typed at `query` (up to `caret`) replaced by "@Name ": the new text
 * and where the caret goes (after the space). */
export function insertMention(text: string, query: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const after = text.slice(caret).replace(/^ /, '');
  return { text: text.slice(0, query.start) + inserted + after, caret: query.start + inserted.length };
}

import { describe, expect, it } from 'vitest';

import { MAX_MESSAGE_CHARS, messageLength, sendBlocker } from './compose';

describe('input rules', () => {
  it('counts Unicode code points, not UTF-16 units', () => {
    expect(messageLength('👋🏽')).toBe(2);
    expect('👋🏽'.length).toBe(4);
    expect(messageLength('Привет')).toBe(6);
  });

  it('refuses empty, whitespace-only and too long text', () => {
    expect(sendBlocker('')).toBe('empty');
    expect(sendBlocker(' \n\t ')).toBe('empty');
    expect(sendBlocker('ok')).toBeNull();
    expect(sendBlocker('😀'.repeat(MAX_MESSAGE_CHARS))).toBeNull();
    expect(sendBlocker('😀'.repeat(MAX_MESSAGE_CHARS + 1))).toBe('too-long');
  });
});

import { describe, expect, it } from 'vitest';

import { quoteWithKnown } from './quotes';

describe('quoteWithKnown', () => {
  const quote = { id: 3, senderId: 7, preview: 'старый текст', isDeleted: false };

  it('follows an edit and a deletion of the quoted message', () => {
    expect(quoteWithKnown(quote, new Set(), new Map([[3, { content: 'новый текст' }]])).preview).toBe('новый текст');
    expect(quoteWithKnown(quote, new Set([3]), new Map())).toEqual({ ...quote, isDeleted: true, preview: null });
  });

  it('keeps a quote unavailable to us unavailable, whatever is known of that id', () => {
    const unavailable = { id: 3, senderId: null, preview: null, isDeleted: false, unavailable: true };
    expect(quoteWithKnown(unavailable, new Set([3]), new Map([[3, { content: 'x' }]]))).toBe(unavailable);
  });
});

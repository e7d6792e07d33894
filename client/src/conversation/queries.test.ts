import { describe, expect, it } from 'vitest';

import { bubbleSide } from './queries';

describe('bubbleSide', () => {
  const maria = 1;
  const ivan = 2;
  const elena = 5; // Мария's mother, reading her chat
  const admin = 4;

  it('shows as ours only what the person signed in wrote', () => {
    expect(bubbleSide(maria, maria)).toBe('mine');
    expect(bubbleSide(ivan, maria)).toBe('theirs');
  });

  it('shows a guardian and an admin every message of a chat they read as someone else’s, the teacher’s too', () => {
    for (const reader of [elena, admin]) {
      expect(bubbleSide(ivan, reader)).toBe('theirs');
      expect(bubbleSide(maria, reader)).toBe('theirs');
    }
  });
});

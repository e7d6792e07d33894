import { describe, expect, it } from 'vitest';

import { completions, insertMention, mentionQuery, mentionSegments, mentionsMe } from './mentions';

const maria = { id: 1, name: 'Мария' };
const mariaFull = { id: 2, name: 'Мария Иванова' };
const boris = { id: 3, name: 'Boris Lee' };

describe('mentionSegments', () => {
  it('cuts out each mention, the longest name that fits, in any case', () => {
    expect(mentionSegments('@мария иванова, и @Мария!', [maria, mariaFull])).toEqual([
      { text: '@мария иванова', mention: mariaFull },
      { text: ', и ' },
      { text: '@Мария', mention: maria },
      { text: '!' },
    ]);
  });

  it('leaves an "@" inside a word, a longer word and a name not mentioned as text', () => {
    const text = 'x@Мария @Марияна @Boris Lee';
    expect(mentionSegments(text, [maria])).toEqual([{ text }]);
    expect(mentionSegments(text, [])).toEqual([{ text }]);
    expect(mentionSegments('@Boris Lee', [boris])).toEqual([{ text: '@Boris Lee', mention: boris }]);
  });

  it('says whether I am mentioned', () => {
    expect(mentionsMe([maria, boris], 3)).toBe(true);
    expect(mentionsMe([maria], 3)).toBe(false);
  });
});

describe('completion', () => {
  it('finds the mention being typed before the caret', () => {
    expect(mentionQuery('привет @Ма', 10)).toEqual({ start: 7, typed: 'Ма' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, typed: '' });
    expect(mentionQuery('mail@Ма', 7)).toBeNull();
    expect(mentionQuery('@Ма\nдальше', 10)).toBeNull();
    expect(mentionQuery('без собаки', 4)).toBeNull();
  });

  it('offers the members whose name or one of its words starts with what is typed', () => {
    const members = [boris, mariaFull, maria];
    expect(completions(members, 'ма').map((m) => m.id)).toEqual([1, 2]);
    expect(completions(members, 'ива').map((m) => m.id)).toEqual([2]);
    expect(completions(members, 'lee').map((m) => m.id)).toEqual([3]);
    expect(completions(members, '').length).toBe(3);
    expect(completions(members, 'zz')).toEqual([]);
  });

  it('puts the chosen name in with a space after it', () => {
    const text = 'привет @Ма как дела';
    expect(insertMention(text, { start: 7, typed: 'Ма' }, 10, 'Мария Иванова')).toEqual({
      text: 'привет @Мария Иванова как дела',
      caret: 22,
    });
  });
});

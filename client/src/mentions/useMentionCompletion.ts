// The composer's completion of names: while "@" and the start of a name are typed in a
// group's composer, a listbox of the members that fit (mentions.ts). ArrowDown and ArrowUp
// move through it, Enter or Tab puts the name in ("@Full Name "), Escape closes it until the
// next "@". The textarea keeps its own role (a textarea takes no combobox role): it carries
// aria-autocomplete, aria-controls and aria-activedescendant, and a polite status says how
// many names are offered.

import { type KeyboardEvent, type RefObject, useEffect, useLayoutEffect, useRef, useState } from 'react';

import { completions, insertMention, mentionQuery } from './mentions';

export interface Mentionable {
  id: number;
  name: string;
}

export interface MentionCompletion {
  /** The members offered (empty: the list is closed). */
  options: readonly Mentionable[];
  /** The index of the option Enter would choose. */
  active: number;
  listId: string;
  optionId: (member: Mentionable) => string;
  /** Handles a key while the list is open; true when it did (the composer does nothing more). */
  onKeyDown: (event: KeyboardEvent<HTMLTextAreaElement>) => boolean;
  /** The caret moved or the text changed. */
  onCaret: (caret: number) => void;
  choose: (member: Mentionable) => void;
}

export function useMentionCompletion(
  chatId: number,
  members: readonly Mentionable[] | undefined,
  text: string,
  setText: (text: string) => void,
  input: RefObject<HTMLTextAreaElement | null>,
): MentionCompletion {
  const [caret, setCaret] = useState<number | null>(null);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const placeCaret = useRef<number | null>(null);

  const query = members && members.length > 0 && caret !== null ? mentionQuery(text, caret) : null;
  const offered = query && dismissed !== query.start ? completions(members ?? [], query.typed) : [];
  const key = query ? `${query.start}:${query.typed}` : '';
  useEffect(() => setActive(0), [key]);
  // A new "@" (or none) opens the list again.
  const start = query?.start ?? null;
  useEffect(() => {
    if (dismissed !== null && start !== dismissed) setDismissed(null);
  }, [start, dismissed]);
  // The caret after a chosen name, once the text shows it.
  useLayoutEffect(() => {
    const at = placeCaret.current;
    if (at === null || !input.current) return;
    placeCaret.current = null;
    input.current.setSelectionRange(at, at);
    setCaret(at);
  }, [text, input]);

  const choose = (member: Mentionable) => {
    if (!query || caret === null) return;
    const next = insertMention(text, query, caret, member.name);
    placeCaret.current = next.caret;
    setText(next.text);
    input.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (offered.length === 0 || !query || event.nativeEvent.isComposing) return false;
    const last = offered.length - 1;
    switch (event.key) {
      case 'ArrowDown':
        setActive((i) => (i >= last ? 0 : i + 1));
        break;
      case 'ArrowUp':
        setActive((i) => (i <= 0 ? last : i - 1));
        break;
      case 'Enter':
      case 'Tab':
        if (event.shiftKey) return false;
        {
          const option = offered[Math.min(active, last)];
          if (option) choose(option);
        }
        break;
      case 'Escape':
        setDismissed(query.start);
        break;
      default:
        return false;
    }
    event.preventDefault();
    return true;
  };

  return {
    options: offered,
    active: Math.min(active, Math.max(offered.length - 1, 0)),
    listId: `mention-list-${chatId}`,
    optionId: (member) => `mention-${chatId}-${member.id}`,
    onKeyDown,
    onCaret: setCaret,
    choose,
  };
}

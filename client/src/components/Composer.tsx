import { type FormEvent, type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';

import { MAX_MESSAGE_CHARS, messageLength, sendBlocker } from '../messages';

/** Unsent text per chat, kept while switching chats (cleared on signing out). */
const drafts = new Map<number, string>();

export function clearDrafts(): void {
  drafts.clear();
}

/** The counter shows from this many characters on. */
const COUNTER_FROM = MAX_MESSAGE_CHARS - 1_000;

interface Props {
  chatId: number;
  disabled: boolean;
  onSend: (content: string) => void;
}

export function Composer({ chatId, disabled, onSend }: Props) {
  const [text, setText] = useState(() => drafts.get(chatId) ?? '');
  const input = useRef<HTMLTextAreaElement>(null);
  const length = messageLength(text);
  const blocker = sendBlocker(text);

  useEffect(() => {
    drafts.set(chatId, text);
  }, [chatId, text]);

  // Ready to type on opening a chat, except on touch screens (it would pop up the keyboard).
  useEffect(() => {
    if (window.matchMedia('(hover: hover) and (pointer: fine)').matches) input.current?.focus();
  }, [chatId]);

  // Grow with the text (up to the CSS max-height), shrink back after sending.
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const submit = () => {
    if (disabled || blocker) return;
    onSend(text);
    setText('');
    input.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <label htmlFor={`composer-${chatId}`} className="visually-hidden">
        Message
      </label>
      <textarea
        id={`composer-${chatId}`}
        ref={input}
        data-testid="composer"
        rows={1}
        value={text}
        placeholder="Write a message…"
        aria-describedby={`composer-hint-${chatId}`}
        aria-invalid={blocker === 'too-long'}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="composer-side">
        {length >= COUNTER_FROM && (
          <span
            className={`counter${blocker === 'too-long' ? ' over' : ''}`}
            data-testid="counter"
            aria-live="polite"
          >
            {length.toLocaleString('en')} / {MAX_MESSAGE_CHARS.toLocaleString('en')}
          </span>
        )}
        <button type="submit" className="button send-button" data-testid="send" disabled={disabled || blocker !== null}>
          Send
        </button>
      </div>
      <span id={`composer-hint-${chatId}`} className="visually-hidden">
        Enter sends, Shift+Enter starts a new line.
      </span>
    </form>
  );
}

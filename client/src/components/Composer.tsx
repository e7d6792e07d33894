import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

import { useLocale } from '../i18n';
import { MAX_MESSAGE_CHARS, messageLength, sendBlocker } from '../messages';
import type { ReplyRef } from '../quotes';
import { useTypingNotifier } from '../useTyping';
import { fitHeight } from './fitHeight';
import { Quote } from './Quote';

/** Unsent text per chat, kept while switching chats (cleared on signing out). */
const drafts = new Map<number, string>();
/** The message being answered per chat, kept like the text. */
const replies = new Map<number, ReplyRef>();

export function clearDrafts(): void {
  drafts.clear();
  replies.clear();
}

/** The message the composer of `chatId` answers, if any, and a setter (null: not a reply). */
export function useReplyDraft(chatId: number): [ReplyRef | null, (reply: ReplyRef | null) => void] {
  const [reply, setReply] = useState(() => replies.get(chatId) ?? null);
  const set = useCallback(
    (next: ReplyRef | null) => {
      if (next) replies.set(chatId, next);
      else replies.delete(chatId);
      setReply(next);
    },
    [chatId],
  );
  return [reply, set];
}

/** The counter shows from this many characters on. */
const COUNTER_FROM = MAX_MESSAGE_CHARS - 1_000;

interface Props {
  chatId: number;
  disabled: boolean;
  /** The message this one answers (shown above the input), as it is now. */
  replyTo: ReplyRef | null;
  replySender: string | null;
  onCancelReply: () => void;
  onSend: (content: string) => void;
}

export function Composer({ chatId, disabled, replyTo, replySender, onCancelReply, onSend }: Props) {
  const { t, locale } = useLocale();
  const [text, setText] = useState(() => drafts.get(chatId) ?? '');
  const input = useRef<HTMLTextAreaElement>(null);
  const length = messageLength(text);
  const blocker = sendBlocker(text);
  // The other participant sees "typing…" while we write here (admins have no composer).
  const typing = useTypingNotifier(chatId);

  useEffect(() => {
    drafts.set(chatId, text);
  }, [chatId, text]);

  // Ready to type on opening a chat, except on touch screens (it would pop up the keyboard).
  useEffect(() => {
    if (window.matchMedia('(hover: hover) and (pointer: fine)').matches) input.current?.focus();
  }, [chatId]);

  // Choosing a message to answer puts the cursor here.
  const replyId = replyTo?.id ?? null;
  useEffect(() => {
    if (replyId !== null) input.current?.focus();
  }, [replyId]);

  // Grow with the text (up to the CSS max-height), shrink back after sending.
  useLayoutEffect(() => fitHeight(input.current), [text]);

  const submit = () => {
    if (disabled || blocker) return;
    onSend(text);
    setText('');
    typing.stop();
    input.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && replyTo) {
      event.preventDefault();
      onCancelReply();
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      {replyTo && (
        <div className="composer-reply" data-testid="reply-preview" data-reply-to={replyTo.id}>
          <span className="composer-reply-label">{t('composer.replyingTo')}</span>
          <Quote quote={replyTo} sender={replySender} />
          <button
            type="button"
            className="icon-button"
            data-testid="cancel-reply"
            aria-label={t('composer.cancelReply')}
            title={t('composer.cancelReply')}
            onClick={() => {
              onCancelReply();
              input.current?.focus();
            }}
          >
            ×
          </button>
        </div>
      )}
      <label htmlFor={`composer-${chatId}`} className="visually-hidden">
        {t('composer.label')}
      </label>
      <textarea
        id={`composer-${chatId}`}
        ref={input}
        data-testid="composer"
        rows={1}
        value={text}
        placeholder={t('composer.placeholder')}
        aria-describedby={`composer-hint-${chatId}`}
        aria-invalid={blocker === 'too-long'}
        onChange={(e) => {
          setText(e.target.value);
          typing.input(e.target.value);
        }}
        onBlur={typing.stop}
        onKeyDown={onKeyDown}
      />
      <div className="composer-side">
        {length >= COUNTER_FROM && (
          <span
            className={`counter${blocker === 'too-long' ? ' over' : ''}`}
            data-testid="counter"
            aria-live="polite"
          >
            {length.toLocaleString(locale)} / {MAX_MESSAGE_CHARS.toLocaleString(locale)}
          </span>
        )}
        <button type="submit" className="button send-button" data-testid="send" disabled={disabled || blocker !== null}>
          {t('composer.send')}
        </button>
      </div>
      <span id={`composer-hint-${chatId}`} className="visually-hidden">
        {t('composer.hint')}
      </span>
    </form>
  );
}

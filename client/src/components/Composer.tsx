import {
  type ClipboardEvent,
  type FormEvent,
  type KeyboardEvent,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';

import type { Attachment } from '../api';
import { useLocale } from '../i18n';
import { MAX_MESSAGE_CHARS, messageLength } from '../conversation/compose';
import type { ReplyRef } from '../conversation/model';
import { composerBlocker, contentToSend, readyAttachments } from '../attachments/uploads';
import { useTypingNotifier } from '../useTyping';
import { addFiles, clearUploads, dismissRefused, removeUpload, retryUpload, uploadsSent, useUploads } from '../attachments/useUploads';
import { fitHeight } from './fitHeight';
import { Quote } from './Quote';
import { UploadList } from '../attachments/UploadList';
import { ScheduleControl } from '../scheduled/ScheduleControl';
import { MentionList } from '../mentions/MentionList';
import { type Mentionable, useMentionCompletion } from '../mentions/useMentionCompletion';

/** Unsent text per chat, kept while switching chats (cleared on signing out). */
const drafts = new Map<number, string>();
/** The message being answered per chat, kept like the text. */
const replies = new Map<number, ReplyRef>();

export function clearDrafts(): void {
  drafts.clear();
  replies.clear();
  clearUploads();
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
  /** Nothing may be written (a suspended account): the field and its buttons are disabled. */
  locked?: boolean;
  /** The message this one answers (shown above the input), as it is now. */
  replyTo: ReplyRef | null;
  replySender: string | null;
  onCancelReply: () => void;
  /** The text (empty beside attachments) and the files uploaded for the message. */
  onSend: (content: string, attachments: Attachment[]) => void;
  /** Schedules the text for `sendAt` (RFC 3339; text only); absent: no "Send later" here. */
  onSchedule?: (content: string, sendAt: string) => Promise<void>;
  /** A group's members but me, offered while "@" and a name are typed (absent: no completion). */
  mentionable?: readonly Mentionable[];
}

export function Composer(props: Props) {
  const { chatId, disabled, locked = false, replyTo, replySender, onCancelReply, onSend, onSchedule, mentionable } = props;
  const { t, locale } = useLocale();
  const [text, setText] = useState(() => drafts.get(chatId) ?? '');
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const length = messageLength(text);
  // Files upload as soon as they are picked, dropped on the conversation or pasted.
  const { uploads, refused } = useUploads(chatId);
  const blocker = composerBlocker(text, uploads);
  // The other participant sees "typing…" while we write here (admins have no composer).
  const typing = useTypingNotifier(chatId);
  // "@" and the start of a name offer the members that fit.
  const completion = useMentionCompletion(chatId, mentionable, text, setText, input);
  const activeOption = completion.options[completion.active];

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

  // Enter pressed while the conversation is still loading is kept, not dropped: the message
  // goes as soon as the conversation is ready (a quick writer, or a slow network, lost it).
  const [sendWhenReady, setSendWhenReady] = useState(false);
  useEffect(() => setSendWhenReady(false), [chatId]);

  const submit = () => {
    if (locked || blocker) {
      setSendWhenReady(false);
      return;
    }
    if (disabled) {
      setSendWhenReady(true);
      return;
    }
    setSendWhenReady(false);
    const attachments = readyAttachments(uploads);
    onSend(contentToSend(text), attachments);
    uploadsSent(chatId, uploads.filter((u) => u.status === 'done').map((u) => u.key));
    setText('');
    typing.stop();
    input.current?.focus();
  };

  // "Send later": the text as it is (no files: a scheduled message is text only).
  const schedule = async (sendAt: string) => {
    if (!onSchedule || blocker !== null || uploads.length > 0) return;
    await onSchedule(text, sendAt);
    setText('');
    typing.stop();
  };

  useEffect(() => {
    if (sendWhenReady && !disabled) submit();
    // Only at the moment it becomes ready (submit reads the text as it is then).
  }, [sendWhenReady, disabled]);

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (completion.onKeyDown(event)) return;
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && replyTo) {
      event.preventDefault();
      onCancelReply();
    }
  };

  // A pasted image (or file) is attached; pasted text stays text.
  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const pasted = [...event.clipboardData.files];
    if (pasted.length === 0) return;
    if (!event.clipboardData.types.includes('text/plain')) event.preventDefault();
    addFiles(chatId, pasted, t);
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
      <UploadList
        uploads={uploads}
        refused={refused}
        onRemove={(key) => removeUpload(chatId, key)}
        onRetry={(key) => retryUpload(chatId, key, t)}
        onDismissRefused={() => dismissRefused(chatId)}
      />
      <button
        type="button"
        className="icon-button attach-button"
        data-testid="attach"
        disabled={locked}
        aria-label={t('attachments.attach')}
        title={t('attachments.attach')}
        onClick={() => fileInput.current?.click()}
      >
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          <path
            fill="currentColor"
            d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z"
          />
        </svg>
      </button>
      <input
        ref={fileInput}
        type="file"
        multiple
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="attach-input"
        onChange={(e) => {
          addFiles(chatId, [...(e.target.files ?? [])], t);
          e.target.value = ''; // the same file may be picked again
        }}
      />
      <MentionList completion={completion} />
      <label htmlFor={`composer-${chatId}`} className="visually-hidden">
        {t('composer.label')}
      </label>
      <textarea
        id={`composer-${chatId}`}
        ref={input}
        data-testid="composer"
        disabled={locked}
        rows={1}
        value={text}
        placeholder={t('composer.placeholder')}
        aria-describedby={`composer-hint-${chatId}`}
        aria-invalid={blocker === 'too-long'}
        aria-autocomplete={mentionable ? 'list' : undefined}
        aria-controls={activeOption ? completion.listId : undefined}
        aria-activedescendant={activeOption ? completion.optionId(activeOption) : undefined}
        onChange={(e) => {
          setText(e.target.value);
          completion.onCaret(e.target.selectionStart);
          typing.input(e.target.value);
        }}
        onSelect={(e) => completion.onCaret(e.currentTarget.selectionStart)}
        onBlur={typing.stop}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
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
        {onSchedule && (
          <ScheduleControl disabled={disabled || locked || blocker !== null || uploads.length > 0} onSchedule={schedule} />
        )}
        <button
          type="submit"
          className="button send-button"
          data-testid="send"
          disabled={disabled || locked || blocker !== null}
          title={blocker === 'uploading' ? t('attachments.waitUploads') : undefined}
        >
          {t('composer.send')}
        </button>
      </div>
      <span id={`composer-hint-${chatId}`} className="visually-hidden">
        {t('composer.hint')}
      </span>
    </form>
  );
}

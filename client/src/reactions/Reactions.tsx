// A message's reactions, under it (`Reactions`): one button per emoji (its count; its label
// names who reacted), pressed when one of them is ours, which a press takes back; and among
// the message's actions a small "add a reaction" button (`AddReaction`) that opens the eight to
// choose from. Every one a real <button>, so Tab, Enter and Space reach and press them; Escape
// closes the choice and gives the focus back.
// The change shows when the stream's `reaction_added` or `reaction_removed` comes (to every
// tab of ours as well). A reader who may not react (an admin, a guardian, a guest, a closed
// chat, a suspended account) sees the reactions, not the buttons.

import type { TFunction } from 'i18next';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';

import type { KnownPerson } from '../groups';
import { useLocale } from '../i18n';
import { errorText } from '../errors';
import type { Message } from '../conversation/model';
import { type Emoji, REACTIONS, REACTION_NAMES, type Reaction, reacted } from './reactions';
import { react } from './reactionsApi';

interface Props {
  message: Message;
  people: ReadonlyMap<number, Pick<KnownPerson, 'name'>>;
  me: number;
  /** Whether the reader may react here (a press takes theirs back); else the reactions are only shown. */
  canReact: boolean;
}

export function Reactions({ message, people, me, canReact }: Props) {
  const { t } = useLocale();
  const [error, setError] = useState<string | null>(null);
  // A message hidden or purged shows none (the server's history neither).
  if (message.hidden || message.purged || (message.reactions.length === 0 && error === null)) return null;

  const nameOf = (emoji: Emoji) => t(`reactions.names.${REACTION_NAMES[emoji]}`);
  const label = (reaction: Reaction) =>
    t('reactions.who', {
      name: nameOf(reaction.emoji),
      emoji: reaction.emoji,
      // The count shown on the button is part of its name (what is seen is what is said).
      number: reaction.userIds.length,
      people: reaction.userIds
        .map((id) => (id === me ? t('reactions.you') : (people.get(id)?.name ?? t('conversation.unknownUser', { id }))))
        .join(', '),
    });

  return (
    <div className="reactions" data-testid={`reactions-${message.id}`}>
      {message.reactions.map((reaction) => {
        const mine = reacted(reaction, me);
        const content = (
          <>
            <span aria-hidden="true">{reaction.emoji}</span>
            <span className="reaction-count">{reaction.userIds.length}</span>
          </>
        );
        const testId = `reaction-${message.id}-${reaction.emoji}`;
        return canReact ? (
          <button
            key={reaction.emoji}
            type="button"
            className={`reaction${mine ? ' mine' : ''}`}
            aria-pressed={mine}
            aria-label={label(reaction)}
            title={label(reaction)}
            data-testid={testId}
            onClick={() => toggle(message.id, reaction.emoji, !mine, setError, t)}
          >
            {content}
          </button>
        ) : (
          <span
            key={reaction.emoji}
            className="reaction"
            role="img"
            aria-label={label(reaction)}
            title={label(reaction)}
            data-testid={testId}
          >
            {content}
          </span>
        );
      })}
      {error && (
        <span className="error small" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** Reacts (`on`) or takes the reaction back; a refusal is said in words (`setError`). */
function toggle(id: number, emoji: Emoji, on: boolean, setError: (error: string | null) => void, t: TFunction) {
  setError(null);
  react(id, emoji, on).catch((e: unknown) => setError(errorText(e, t)));
}

/** The message's "Add a reaction" button, among its actions, and the eight it opens. */
export function AddReaction({ message, me }: Pick<Props, 'message' | 'me'>) {
  const { t } = useLocale();
  const [choosing, setChoosing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const choices = useRef<HTMLDivElement>(null);

  // The choice opens with the focus on its first reaction.
  useEffect(() => {
    if (choosing) choices.current?.querySelector('button')?.focus();
  }, [choosing]);

  const close = () => {
    setChoosing(false);
    addButton.current?.focus();
  };
  const onChoicesKey = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    close();
  };
  const nameOf = (emoji: Emoji) => t(`reactions.names.${REACTION_NAMES[emoji]}`);

  return (
    <span className="reaction-adder">
      <button
        ref={addButton}
        type="button"
        className="icon-button action-button add-reaction"
        aria-label={t('reactions.add')}
        title={error ?? t('reactions.add')}
        aria-expanded={choosing}
        data-testid={`add-reaction-${message.id}`}
        onClick={() => setChoosing((open) => !open)}
      >
        <span aria-hidden="true">☺</span>
      </button>
      {choosing && (
        <div
          ref={choices}
          className="reaction-choices"
          role="group"
          aria-label={t('reactions.choose')}
          data-testid={`reaction-choices-${message.id}`}
          onKeyDown={onChoicesKey}
        >
          {REACTIONS.map((emoji) => {
            const mine = message.reactions.some((r) => r.emoji === emoji && reacted(r, me));
            return (
              <button
                key={emoji}
                type="button"
                className={`reaction-choice${mine ? ' mine' : ''}`}
                aria-pressed={mine}
                aria-label={nameOf(emoji)}
                title={nameOf(emoji)}
                data-testid={`choose-${message.id}-${emoji}`}
                onClick={() => {
                  close();
                  toggle(message.id, emoji, !mine, setError, t);
                }}
              >
                <span aria-hidden="true">{emoji}</span>
              </button>
            );
          })}
        </div>
      )}
      {error && (
        <span className="visually-hidden" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

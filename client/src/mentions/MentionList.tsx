import { useLocale } from '../i18n';
import type { MentionCompletion } from './useMentionCompletion';

/** The names offered while a mention is typed (the composer's listbox), and how many, politely. */
export function MentionList({ completion }: { completion: MentionCompletion }) {
  const { t } = useLocale();
  const { options, active, listId, optionId, choose } = completion;
  return (
    <>
      {options.length > 0 && (
        <ul className="mention-list" role="listbox" id={listId} aria-label={t('mentions.list')} data-testid="mention-list">
          {options.map((member, i) => (
            <li
              key={member.id}
              id={optionId(member)}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              data-testid={`mention-option-${member.id}`}
              // The focus stays in the composer.
              onMouseDown={(event) => {
                event.preventDefault();
                choose(member);
              }}
            >
              {member.name}
            </li>
          ))}
        </ul>
      )}
      <span className="visually-hidden" aria-live="polite">
        {options.length > 0 ? t('mentions.offered', { count: options.length }) : ''}
      </span>
    </>
  );
}

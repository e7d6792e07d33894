import { useSession } from '../session/SessionContext';
import { type Mention, mentionSegments } from './mentions';

/** A message's text with the "@Name" of each person it mentions marked; a mention of me
 * stronger (a `mark`). */
export function MentionText({ content, mentions }: { content: string; mentions: readonly Mention[] }) {
  const { me } = useSession();
  if (mentions.length === 0) return <>{content}</>;
  return (
    <>
      {mentionSegments(content, mentions).map((segment, i) =>
        !segment.mention ? (
          segment.text
        ) : segment.mention.id === me.id ? (
          <mark key={i} className="mention mention-me" data-testid="mention-me">
            {segment.text}
          </mark>
        ) : (
          <span key={i} className="mention" data-testid={`mention-${segment.mention.id}`}>
            {segment.text}
          </span>
        ),
      )}
    </>
  );
}

import { useCallback, useMemo } from 'react';

import type { Person } from '../api';
import { type ChatItem, chatTitle } from '../chats';
import { useLocale } from '../i18n';
import { type Conversation as ConversationState, type Message, currentQuote } from '../messages';
import { presenceOf } from '../presence';
import { replyRefOf } from '../quotes';
import { typingIn } from '../typing';
import type { Workspace } from '../useWorkspace';
import { Avatar } from './Avatar';
import { Composer, useReplyDraft } from './Composer';
import { senderLabel } from './MessageBubble';
import { MessageList } from './MessageList';
import { PresenceStatus } from './PresenceStatus';

interface Props {
  me: Person;
  chatId: number;
  /** The chat's list item, once the list has loaded. */
  chat: ChatItem | null;
  conversation: ConversationState | undefined;
  workspace: Workspace;
  onBack: () => void;
}

export function Conversation({ me, chatId, chat, conversation, workspace, onBack }: Props) {
  const { t } = useLocale();
  const isAdmin = me.role === 'admin';
  const title = chat ? chatTitle(chat) : t('chatList.fallbackTitle', { id: chatId });
  const people = useMemo(
    () => new Map<number, Person>([[me.id, me], ...(chat?.people ?? []).map((p) => [p.id, p] as const)]),
    [me, chat?.people],
  );
  const { presence } = workspace;
  // The other participant typing here (never shown to admins: their streams get no typing).
  const typists = isAdmin ? [] : typingIn(workspace.typing, chatId, Date.now());
  const typingText = typists.length > 0 ? t('typing.named', { name: senderLabel(people, typists[0]!) }) : '';
  const { loadOlder, setAtBottom } = workspace;
  const onLoadOlder = useCallback(() => loadOlder(chatId), [loadOlder, chatId]);
  const onAtBottomChange = useCallback((atBottom: boolean) => setAtBottom(chatId, atBottom), [setAtBottom, chatId]);

  const [reply, setReply] = useReplyDraft(chatId);
  // The quote follows edits and deletions of the message while the answer is written.
  const replyTo = reply && conversation ? currentQuote(conversation, reply) : reply;
  const onReply = useCallback((message: Message) => setReply(replyRefOf(message)), [setReply]);

  return (
    <section className="conversation" aria-label={t('conversation.label', { title })}>
      <header className="conversation-header">
        <button
          type="button"
          className="icon-button back-button"
          onClick={onBack}
          aria-label={t('conversation.back')}
        >
          ‹
        </button>
        {chat && (
          <span className={`avatars avatars-${chat.people.length}`}>
            {chat.people.map((p) => (
              <Avatar key={p.id} person={p} presence={presenceOf(presence, p.id)} />
            ))}
          </span>
        )}
        <div className="conversation-title">
          <h2>{title}</h2>
          <span className="conversation-subtitle small">
            {/* Always there, so screen readers announce what appears in it. */}
            <span className="typing-text" role="status" data-testid="typing">
              {typingText}
            </span>
            {!typingText &&
              chat?.people.map((p, i) => {
                const known = presenceOf(presence, p.id);
                return (
                  <span key={p.id} className="muted" data-testid={`person-${p.id}`}>
                    {i > 0 && ' · '}
                    {t(`roles.${p.role}`)}
                    {known && (isAdmin ? ': ' : ' · ')}
                    {known && <PresenceStatus presence={known} testId={isAdmin ? undefined : 'presence'} />}
                  </span>
                );
              })}
          </span>
        </div>
      </header>

      {conversation === undefined || conversation.status === 'loading' ? (
        <div className="conversation-status muted" aria-busy="true">
          {t('conversation.loading')}
        </div>
      ) : conversation.status === 'failed' ? (
        <div className="conversation-status" role="alert">
          <p className="error">{conversation.error}</p>
          <button type="button" className="button" onClick={() => workspace.reloadConversation(chatId)}>
            {t('app.tryAgain')}
          </button>
        </div>
      ) : (
        <MessageList
          conversation={conversation}
          me={me}
          people={people}
          readOnly={isAdmin}
          onLoadOlder={onLoadOlder}
          onRetry={(key) => workspace.retry(chatId, key)}
          onDiscard={(key) => workspace.discard(chatId, key)}
          onDelete={(messageId) => workspace.remove(chatId, messageId)}
          onEdit={(messageId, content) => workspace.edit(chatId, messageId, content)}
          onReply={onReply}
          onAtBottomChange={onAtBottomChange}
        />
      )}

      {isAdmin ? (
        <p className="read-only" data-testid="read-only">
          <span aria-hidden="true">👁</span> {t('conversation.readOnly')}
        </p>
      ) : (
        <Composer
          chatId={chatId}
          disabled={conversation?.status !== 'ready'}
          replyTo={replyTo}
          replySender={replyTo ? senderLabel(people, replyTo.senderId) : null}
          onCancelReply={() => setReply(null)}
          onSend={(content) => {
            workspace.send(chatId, content, replyTo);
            setReply(null);
          }}
        />
      )}
    </section>
  );
}

import { useCallback, useMemo } from 'react';

import type { Person } from '../api';
import { type ChatItem, chatTitle } from '../chats';
import type { Conversation as ConversationState } from '../messages';
import { ROLE_LABEL } from '../roles';
import type { Workspace } from '../useWorkspace';
import { Avatar } from './Avatar';
import { Composer } from './Composer';
import { MessageList } from './MessageList';

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
  const isAdmin = me.role === 'admin';
  const title = chat ? chatTitle(chat) : `Chat ${chatId}`;
  const people = useMemo(
    () => new Map<number, Person>([[me.id, me], ...(chat?.people ?? []).map((p) => [p.id, p] as const)]),
    [me, chat?.people],
  );
  const subtitle = chat ? chat.people.map((p) => ROLE_LABEL[p.role]).join(' · ') : '';
  const { loadOlder } = workspace;
  const onLoadOlder = useCallback(() => loadOlder(chatId), [loadOlder, chatId]);

  return (
    <section className="conversation" aria-label={`Conversation: ${title}`}>
      <header className="conversation-header">
        <button type="button" className="icon-button back-button" onClick={onBack} aria-label="Back to chats">
          ‹
        </button>
        {chat && (
          <span className={`avatars avatars-${chat.people.length}`}>
            {chat.people.map((p) => (
              <Avatar key={p.id} person={p} />
            ))}
          </span>
        )}
        <div className="conversation-title">
          <h2>{title}</h2>
          {subtitle && <span className="muted small">{subtitle}</span>}
        </div>
      </header>

      {conversation === undefined || conversation.status === 'loading' ? (
        <div className="conversation-status muted" aria-busy="true">
          Loading messages…
        </div>
      ) : conversation.status === 'failed' ? (
        <div className="conversation-status" role="alert">
          <p className="error">{conversation.error}</p>
          <button type="button" className="button" onClick={() => workspace.reloadConversation(chatId)}>
            Try again
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
        />
      )}

      {isAdmin ? (
        <p className="read-only" data-testid="read-only">
          <span aria-hidden="true">👁</span> Read-only: as an admin you can read this chat but not write or delete.
        </p>
      ) : (
        <Composer
          chatId={chatId}
          disabled={conversation?.status !== 'ready'}
          onSend={(content) => workspace.send(chatId, content)}
        />
      )}
    </section>
  );
}

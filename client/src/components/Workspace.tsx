import { useEffect, useState } from 'react';

import { type Person, logout } from '../api';
import { ROLE_LABEL } from '../roles';
import { useWorkspace } from '../useWorkspace';
import { Avatar } from './Avatar';
import { ChatList } from './ChatList';
import { clearDrafts } from './Composer';
import { ConnectionBadge } from './ConnectionBadge';
import { Conversation } from './Conversation';

interface Props {
  me: Person;
  /** The session ended by itself (expired, revoked). */
  onSignedOut: () => void;
  /** The user signed out. */
  onLoggedOut: () => void;
}

export function Workspace({ me, onSignedOut, onLoggedOut }: Props) {
  const workspace = useWorkspace(me, onSignedOut);
  const { chatList, openChatId, openChat } = workspace;
  const [signingOut, setSigningOut] = useState(false);
  const openItem = chatList.items.find((item) => item.id === openChatId) ?? null;
  const unread = chatList.items.reduce((sum, item) => sum + item.unread, 0);

  // Nothing of this session stays behind for the next one in this tab.
  useEffect(() => clearDrafts, []);

  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Tutorchat` : 'Tutorchat';
    return () => {
      document.title = 'Tutorchat';
    };
  }, [unread]);

  const signOut = async () => {
    setSigningOut(true);
    try {
      await logout();
    } finally {
      openChat(null);
      onLoggedOut();
    }
  };

  return (
    <div className={`workspace ${openChatId === null ? 'show-list' : 'show-conversation'}`}>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Tutorchat
        </div>
        <ConnectionBadge connection={workspace.connection} />
        <div className="me">
          <Avatar person={me} size="sm" />
          <span className="me-text">
            <span className="me-name">{me.name}</span>
            <span className="muted small">{ROLE_LABEL[me.role]}</span>
          </span>
          <button type="button" className="button button-quiet" onClick={() => void signOut()} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="panes">
        <ChatList
          list={chatList}
          isAdmin={me.role === 'admin'}
          openChatId={openChatId}
          onOpen={openChat}
          onRetry={workspace.reloadChats}
        />
        {openChatId === null ? (
          <section className="conversation conversation-empty" aria-label="Conversation">
            <div className="empty-state">
              <span className="empty-icon" aria-hidden="true">💬</span>
              <p>{me.role === 'admin' ? 'Choose a chat to read it.' : 'Choose a chat to start talking.'}</p>
            </div>
          </section>
        ) : (
          <Conversation
            key={openChatId}
            me={me}
            chatId={openChatId}
            chat={openItem}
            conversation={workspace.conversations[openChatId]}
            workspace={workspace}
            onBack={() => openChat(null)}
          />
        )}
      </div>
    </div>
  );
}

import { useEffect } from 'react';

import { useLocale } from '../i18n';
import { guestChat } from './inquiry';
import { useSession } from '../session/SessionContext';
import { TITLE, useDocumentTitle } from '../useDocumentTitle';
import { useWorkspace } from '../useWorkspace';
import { Avatar } from '../components/Avatar';
import { ClosedNotice } from '../components/ClosedNotice';
import { clearDrafts } from '../components/Composer';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { Conversation } from '../components/Conversation';
import { LanguageSwitch } from '../components/LanguageSwitch';

/** A guest is never signed out: a 401 ends their visit in place (`workspace.ended`). */
const stayOnPage = () => {};

/**
 * A guest's page: their one inquiry chat with the teacher, full width, titled with the
 * inquiry's title and the teacher's name; no chat list and nothing else (the server refuses a
 * guest everything else). Their session is the guest cookie, so a reload comes back here.
 * When their chat closes (or their credential ends) the page stays as it is, read-only, and
 * says so; a reload then shows only that (App).
 */
export function GuestWorkspace() {
  const { t } = useLocale();
  // The guest (role `guest`).
  const { me } = useSession();
  const workspace = useWorkspace(stayOnPage);
  const { chatList } = workspace;
  const chat = guestChat(chatList.items);

  useEffect(() => clearDrafts, []);

  useDocumentTitle(workspace.unread);

  return (
    <div className="workspace guest-workspace show-conversation" data-testid="guest-workspace">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">{TITLE}</span>
        </div>
        <ConnectionBadge connection={workspace.connection} />
        <div className="me">
          <LanguageSwitch />
          <Avatar person={me} size="sm" />
          <span className="me-text">
            <span className="me-name" data-testid="guest-me">
              {me.name}
            </span>
            <span className="muted small">{t('roles.guest')}</span>
          </span>
        </div>
      </header>
      <main className="panes guest-panes">
        <h1 className="visually-hidden">{t('workspace.heading', { name: me.name })}</h1>
        {chat ? (
          <Conversation
            key={chat.id}
            chatId={chat.id}
            chat={chat}
            conversation={workspace.conversations[chat.id]}
            workspace={workspace}
            onBack={null}
          />
        ) : (
          <section className="conversation conversation-empty" aria-label={t('workspace.conversation')}>
            <div className="empty-state">
              {workspace.ended !== null && <ClosedNotice closedAt={null} guestEnd={workspace.ended} />}
              {workspace.ended === null && chatList.status === 'loading' && (
                <p aria-busy="true">{t('conversation.loading')}</p>
              )}
              {workspace.ended === null && chatList.status === 'failed' && (
                <div role="alert">
                  <p className="error">{chatList.error}</p>
                  <button type="button" className="button" onClick={workspace.reloadChats}>
                    {t('app.tryAgain')}
                  </button>
                </div>
              )}
              {workspace.ended === null && chatList.status === 'ready' && (
                <p data-testid="guest-chat-missing">{t('inquiry.chatMissing')}</p>
              )}
            </div>
          </section>
        )}
      </main>
      {workspace.ended === null && <p className="guest-note muted small">{t('inquiry.guestNote')}</p>}
    </div>
  );
}

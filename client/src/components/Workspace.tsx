import { Suspense, useEffect, useState } from 'react';

import { logout, signOutEverywhere } from '../api';
import { useLocale } from '../i18n';
import { openReportCount, openReportsBadge } from '../moderation/moderation';
import { useSession } from '../session/SessionContext';
import { TITLE, useDocumentTitle } from '../useDocumentTitle';
import { turnOffPushOnSignOut } from '../push/usePush';
import { forgetThisDevice, signingOutHere } from '../session/forget';
import { useWaitingClosures } from '../blocking/useWaitingClosures';
import { useFocusOnSwitch } from '../useFocusOnSwitch';
import { useWorkspace } from '../useWorkspace';
import { Avatar } from './Avatar';
import { ChatList } from './ChatList';
import { clearDrafts } from './Composer';
import { ConnectionBadge } from './ConnectionBadge';
import { Conversation } from './Conversation';
import { LanguageSwitch } from './LanguageSwitch';
import { useEmailLanguage } from '../email/useEmailLanguage';
import { NotificationsControl } from '../push/NotificationsControl';
import { chatTitle } from '../chats/items';
import {
  DevicesDialog,
  EmailDialog,
  InquiryLinksDialog,
  LessonsDialog,
  ModerationDialog,
  NewGroupDialog,
  ReadersDialog,
} from '../views';

interface Props {
  /** The session ended by itself (expired, revoked). */
  onSignedOut: () => void;
  /** The user signed out (what the device kept of them is deleted already). */
  onLoggedOut: () => void;
}

export function Workspace({ onSignedOut, onLoggedOut }: Props) {
  const { t, language } = useLocale();
  const { me, isAdmin, isStaff, isGuardian } = useSession();
  // Admins get no emails; everyone else's are written in the language they read.
  useEmailLanguage(language, !isAdmin);
  // Admins and guardians read chats they take no part in: nobody reads theirs; admins get no
  // notifications, guardians may (their children's chats).
  const reader = isAdmin || isGuardian;
  const workspace = useWorkspace(onSignedOut);
  const { chatList, openChatId, openChat } = workspace;
  const [signingOut, setSigningOut] = useState(false);
  const [creatingGroup, setCreatingGroup] = useState(false);
  const [managingLinks, setManagingLinks] = useState(false);
  const [showingLessons, setShowingLessons] = useState(false);
  const [moderating, setModerating] = useState(false);
  const [showingReaders, setShowingReaders] = useState(false);
  const [emailing, setEmailing] = useState(false);
  const [showingDevices, setShowingDevices] = useState(false);
  // Admins: the open reports' and the waiting closure requests' count on the Moderation button, once known.
  const waitingClosures = useWaitingClosures(isAdmin, workspace.closures, moderating);
  const badge = openReportsBadge(openReportCount(workspace.moderation.state), t, waitingClosures);
  // Teachers and admins (`isStaff`) create groups and inquiry links, and mark lessons completed.
  const openItem = chatList.items.find((item) => item.id === openChatId) ?? null;

  const chatName = (chatId: number) => {
    const item = chatList.items.find((i) => i.id === chatId);
    return item ? chatTitle(item, t) : t('chatList.fallbackTitle', { id: chatId });
  };

  // Nothing of this session stays behind for the next one in this tab.
  useEffect(() => clearDrafts, []);

  useDocumentTitle(workspace.unread);
  useFocusOnSwitch(openChatId);

  // A session from the school's provider ends there too: its page signs the person out and
  // comes back to the chat's root. A failed logout still signs out here, as before. This
  // browser's notifications stop first (the next person here must not get ours), and what the
  // device kept of the person is deleted before the browser leaves for the provider's page
  // (which may never come back here).
  // "Sign out everywhere" (Your devices) ends every session of the person's, this one too.
  const signOut = async (everywhere = false) => {
    setSigningOut(true);
    setShowingDevices(false);
    signingOutHere(true);
    await turnOffPushOnSignOut();
    let endSessionUrl: string | null = null;
    try {
      endSessionUrl = everywhere ? await signOutEverywhere() : await logout();
    } catch {
      // nothing more to do: the page signs out all the same
    }
    await forgetThisDevice();
    if (endSessionUrl !== null) {
      window.location.assign(endSessionUrl);
      return;
    }
    openChat(null);
    onLoggedOut();
  };

  return (
    <div className={`workspace ${openChatId === null ? 'show-list' : 'show-conversation'}`}>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">{TITLE}</span>
        </div>
        <ConnectionBadge connection={workspace.connection} />
        <div className="me">
          {/* The server never sends admins notifications (they read every chat, they are in none). */}
          {!isAdmin && <NotificationsControl onOpenChat={openChat} />}
          {!isAdmin && (
            <button
              type="button"
              className="button button-quiet"
              data-testid="email-button"
              aria-label={t('email.button')}
              title={t('email.button')}
              onClick={() => setEmailing(true)}
            >
              <span aria-hidden="true">✉️</span>
            </button>
          )}
          <LanguageSwitch />
          <button
            type="button"
            className="me-button"
            data-testid="devices-button"
            title={t('devices.button')}
            onClick={() => setShowingDevices(true)}
          >
            <Avatar person={me} size="sm" />
            <span className="me-text">
              <span className="me-name">{me.name}</span>
              <span className="muted small">{t(`roles.${me.role}`)}</span>
            </span>
            <span className="visually-hidden">{t('devices.button')}</span>
          </button>
          {isAdmin && (
            <button
              type="button"
              className="button button-quiet moderation-button"
              data-testid="moderation-button"
              onClick={() => setModerating(true)}
            >
              {t('moderation.button')}
              {badge && (
                <>
                  <span className="badge" data-testid="open-reports" data-count={badge.text} aria-hidden="true">
                    {badge.text}
                  </span>
                  <span className="visually-hidden">, {badge.label}</span>
                </>
              )}
            </button>
          )}
          {/* Admins and guardians take part in no chat: nobody reads "theirs" from outside. */}
          {!reader && (
            <button
              type="button"
              className="button button-quiet readers-button"
              data-testid="readers-button"
              aria-label={t('readers.button')}
              title={t('readers.button')}
              onClick={() => setShowingReaders(true)}
            >
              {/* On a phone the words give way to an eye, so that "Sign out" stays in view. */}
              <span className="readers-words">{t('readers.button')}</span>
              <span className="readers-eye" aria-hidden="true">
                👁
              </span>
            </button>
          )}
          <button type="button" className="button button-quiet" onClick={() => void signOut()} disabled={signingOut}>
            {t('workspace.signOut')}
          </button>
        </div>
      </header>
      <main className="panes">
        <h1 className="visually-hidden">{t('workspace.heading', { name: me.name })}</h1>
        <ChatList
          list={chatList}
          openChatId={openChatId}
          typing={workspace.typing}
          presence={workspace.presence}
          people={workspace.people}
          onOpen={openChat}
          onRetry={workspace.reloadChats}
          onNewGroup={isStaff ? () => setCreatingGroup(true) : null}
          onInquiryLinks={isStaff ? () => setManagingLinks(true) : null}
          onLessons={isStaff ? () => setShowingLessons(true) : null}
          search={workspace.search}
          onSearch={workspace.searchChats}
          onLoadMore={workspace.loadMore}
          messageSearch={workspace.messageSearch}
          onOpenMessage={workspace.openAt}
        />
        {openChatId === null ? (
          <section className="conversation conversation-empty" aria-label={t('workspace.conversation')}>
            <div className="empty-state">
              <span className="empty-icon" aria-hidden="true">💬</span>
              <p>{t(reader ? 'workspace.chooseToRead' : 'workspace.chooseToTalk')}</p>
            </div>
          </section>
        ) : (
          <Conversation
            key={openChatId}
            chatId={openChatId}
            chat={openItem}
            conversation={workspace.conversations[openChatId]}
            workspace={workspace}
            onBack={() => openChat(null)}
          />
        )}
      </main>
      {/* The dialogs' code is fetched when one first opens (views.ts). */}
      <Suspense fallback={null}>
        {creatingGroup && (
          <NewGroupDialog
            onCreate={workspace.createGroup}
            onCreated={(chatId) => {
              setCreatingGroup(false);
              openChat(chatId);
            }}
            onClose={() => setCreatingGroup(false)}
          />
        )}
        {managingLinks && <InquiryLinksDialog onClose={() => setManagingLinks(false)} />}
        {emailing && <EmailDialog onClose={() => setEmailing(false)} />}
        {showingDevices && (
          <DevicesDialog
            onSignOutHere={() => void signOut()}
            onSignOutEverywhere={() => void signOut(true)}
            onClose={() => setShowingDevices(false)}
          />
        )}
        {showingReaders && (
          <ReadersDialog
            chatName={chatName}
            onClose={() => setShowingReaders(false)}
          />
        )}
        {moderating && (
          <ModerationDialog
            moderation={workspace.moderation}
            onOpenChat={(chatId) => {
              setModerating(false);
              openChat(chatId);
            }}
            onClose={() => setModerating(false)}
            held={workspace.held}
            closures={workspace.closures}
            chatName={chatName}
            personName={(userId) =>
              workspace.people.get(userId)?.name ??
              chatList.items.flatMap((i) => i.people).find((p) => p.id === userId)?.name ??
              t('held.someone', { id: userId })
            }
          />
        )}
        {showingLessons && (
          <LessonsDialog
            onOpenChat={(chatId) => {
              setShowingLessons(false);
              openChat(chatId);
            }}
            onClose={() => setShowingLessons(false)}
          />
        )}
      </Suspense>
    </div>
  );
}

import { type DragEvent, Suspense, lazy, useCallback, useMemo, useRef, useState } from 'react';

import { canManage, chatTitle, familyEnded, isClosed } from '../chats/items';
import type { ChatItem } from '../chats/model';
import type { KnownPerson } from '../groups';
import { useLocale } from '../i18n';
import { guestEndShown } from '../inquiry/inquiry';
import type { Conversation as ConversationState, Message } from '../conversation/model';
import { currentQuote } from '../conversation/queries';
import { replyRefOf } from '../conversation/quotes';
import { presenceOf } from '../presence';
import { useSession } from '../session/SessionContext';
import { typingIn, typingText } from '../typing';
import { addFiles } from '../attachments/useUploads';
import type { Workspace } from '../useWorkspace';
import { Avatar } from './Avatar';
import { BlockVisitor } from '../blocking/BlockVisitor';
import { GuardianClosure } from '../blocking/GuardianClosure';
import { ChatReadersButton } from '../moderation/ChatReadersButton';
import { ClosedNotice } from './ClosedNotice';
import { ConversationStatus, HistoryUnavailable } from './ConversationStatus';
import { Composer, useReplyDraft } from './Composer';
import { ExportMenu } from './ExportMenu';
import { senderLabel } from './MessageBubble';
import { MessageList } from './MessageList';
import { PresenceStatus } from './PresenceStatus';
import { HandOverNotice } from '../moderation/HandOver';
import { SuspendedBanner } from '../moderation/SuspendedBanner';
import { heldIn } from '../quiet/held';
import { HeldMessages } from '../quiet/HeldMessages';
import { mayPin, shownPins } from '../pins/pins';
import { PinnedBar } from '../pins/PinnedBar';
import { usePins } from '../pins/usePins';
import { scheduledIn } from '../scheduled/scheduled';
import { ScheduledMessages } from '../scheduled/ScheduledMessages';
import { useSeenBy } from '../seen/SeenBy';

interface Props {
  chatId: number;
  /** The chat's list item, once the list has loaded. */
  chat: ChatItem | null;
  conversation: ConversationState | undefined;
  workspace: Workspace;
  /** Back to the list (phones); null where there is no list (a guest's one chat). */
  onBack: (() => void) | null;
}

/** A group's members panel, fetched when first opened (see views.ts). */
const GroupPanel = lazy(() => import('./GroupPanel').then((m) => ({ default: m.GroupPanel })));

export function Conversation({ chatId, chat, conversation, workspace, onBack }: Props) {
  const { t } = useLocale();
  const { me, isAdmin, isGuardian, isStaff } = useSession();
  // Admins and guardians read without taking part: no composer, no own messages, no reports;
  // except a guardian in a chat they are a member of themselves: their own family chat with a
  // teacher, where both write, or an announcement to families, where they read, mark read and
  // react as its other members do (not one they read through their child: no ward).
  const family = chat?.kind === 'family';
  const member = family || (isGuardian && (chat?.announcement ?? false) && !chat?.ward);
  const reader = isAdmin || (isGuardian && !member);
  // A guardian reports a message in any chat they read whole (their child's, their own).
  const reports = isGuardian ? !chat?.wardOnly : !reader;
  // A group just created may not be listed yet: what its creation answered tells about it.
  const details = workspace.groups[chatId]?.details ?? null;
  const isGroup = chat?.kind === 'group' || details?.kind === 'group';
  const title = chat ? chatTitle(chat, t) : (details?.title ?? t('chatList.fallbackTitle', { id: chatId }));
  // Everyone we can name: whoever this session met, then the chat's people and members (with
  // roles), and the child whose chat a guardian reads.
  const ward = chat?.ward ?? null;
  const people = useMemo(() => {
    const known = new Map<number, KnownPerson>(workspace.people);
    const everyone = [...(details?.members ?? []), ...(chat?.people ?? []), ...(ward ? [ward] : []), me];
    for (const p of everyone) known.set(p.id, p);
    return known;
  }, [workspace.people, details?.members, chat?.people, ward, me]);
  // We left or were removed: what is on screen stays, read-only.
  const ended =
    conversation && conversation.membership !== 'member'
      ? conversation.membership
      : chat && chat.membership !== 'member'
        ? chat.membership
        : null;
  // An inquiry the server closed: read-only for everyone; a guest's visit ends with it (or their credential).
  const guestEnd = guestEndShown(me.role, workspace.ended, isClosed(chat));
  const closed = isClosed(chat) || familyEnded(chat) || guestEnd !== null;
  // A suspended account reads, but writes nothing (the banner above the composer says why).
  const { suspension, moderation } = workspace;
  const inquiry = chat?.kind === 'inquiry';
  const { presence } = workspace;
  // Who else is typing here (never shown to admins: their streams get no typing).
  const typists = isAdmin || ended || closed ? [] : typingIn(workspace.typing, chatId, Date.now());
  const typingLine = typingText(
    typists.map((id) => senderLabel(people, id, t)),
    t,
  );
  const { loadOlder, loadNewer, jumpToLatest, focusDone, setAtBottom } = workspace;
  const onLoadOlder = useCallback(() => loadOlder(chatId), [loadOlder, chatId]);
  const onLoadNewer = useCallback(() => loadNewer(chatId), [loadNewer, chatId]);
  const onJumpToLatest = useCallback(() => jumpToLatest(chatId), [jumpToLatest, chatId]);
  const onFocusDone = useCallback(() => focusDone(chatId), [focusDone, chatId]);
  const onAtBottomChange = useCallback((atBottom: boolean) => setAtBottom(chatId, atBottom), [setAtBottom, chatId]);
  const [membersOpen, setMembersOpen] = useState(false);
  const memberCount = details?.members.length ?? chat?.participantsCount ?? 0;
  const owner = details?.createdBy ?? chat?.createdBy ?? null;
  const manages = canManage({ kind: isGroup ? 'group' : 'direct', createdBy: owner }, me);
  // An announcement: only its owner posts; the other members read (the server refuses them too).
  const listener = (details?.announcement ?? chat?.announcement ?? false) && owner !== me.id && !reader;
  // Pins: a group's owner, a direct chat's (or an inquiry's teacher's) participants, while they may write.
  const pinControl = usePins(chatId, workspace.pinsNews);
  const pinKind = isGroup ? 'group' : (chat?.kind ?? 'direct');
  const pinning = mayPin({ kind: pinKind, createdBy: owner }, me, !reader && !ended && !closed && suspension === null);
  const pinned = useMemo(() => new Set(pinControl.pins.map((p) => p.message_id)), [pinControl.pins]);
  // "Seen by N of M" in a group: its members of their own messages, admins of all.
  const seenBy = useSeenBy(chatId, conversation, isGroup && (isAdmin || (!reader && !listener && !ended)), me.id, isAdmin);

  const [reply, setReply] = useReplyDraft(chatId);
  // The quote follows edits and deletions of the message while the answer is written.
  const replyTo = reply && conversation ? currentQuote(conversation, reply) : reply;
  const onReply = useCallback((message: Message) => setReply(replyRefOf(message)), [setReply]);

  // Files dragged over the conversation go to its composer (where there is one).
  const canAttach = !reader && !listener && !ended && !closed && suspension === null;
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0); // enter/leave also fire for every child crossed
  const carriesFiles = (event: DragEvent) => canAttach && event.dataTransfer.types.includes('Files');
  const onDragEnter = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth.current += 1;
    setDragging(true);
  };
  const onDragOver = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = 'copy';
  };
  const onDragLeave = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    dragDepth.current = Math.max(0, dragDepth.current - 1);
    if (dragDepth.current === 0) setDragging(false);
  };
  const onDrop = (event: DragEvent) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // not opened by the browser
    dragDepth.current = 0;
    setDragging(false);
    addFiles(chatId, [...event.dataTransfer.files], t);
  };

  return (
    <section
      className="conversation"
      aria-label={t('conversation.label', { title })}
      onDragEnter={onDragEnter}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          <span>{t('attachments.dropHere')}</span>
        </div>
      )}
      <header className="conversation-header">
        {onBack && (
          <button
            type="button"
            className="icon-button back-button"
            onClick={onBack}
            aria-label={t('conversation.back')}
          >
            ‹
          </button>
        )}
        {isGroup ? (
          <Avatar person={{ id: chatId, name: title }} group />
        ) : (
          chat && (
            <span className={`avatars avatars-${chat.people.length}`}>
              {chat.people.map((p) => (
                <Avatar key={p.id} person={p} presence={presenceOf(presence, p.id)} />
              ))}
            </span>
          )
        )}
        <div className="conversation-title">
          {/* Focusable by script: where the keyboard lands when the list gives way to this (useFocusOnSwitch). */}
          <h2 data-testid="conversation-title" tabIndex={-1}>
            {title}
          </h2>
          <span className="conversation-subtitle small">
            {/* Always there, so screen readers announce what appears in it. */}
            <span className="typing-text" role="status" data-testid="typing">
              {typingLine}
            </span>
            {!typingLine && isGroup && (
              <span className="muted" data-testid="member-count">
                {t('chatList.members', { count: memberCount })}
              </span>
            )}
            {!typingLine &&
              !isGroup &&
              chat?.people.map((p, i) => {
                const known = presenceOf(presence, p.id);
                return (
                  <span key={p.id} className="muted" data-testid={`person-${p.id}`}>
                    {i > 0 && ' · '}
                    {/* An inquiry's title is not a name: its people are named here. */}
                    {inquiry && `${p.name} · `}
                    {t(`roles.${p.role}`)}
                    {known && (isAdmin ? ': ' : ' · ')}
                    {known && <PresenceStatus presence={known} testId={isAdmin ? undefined : 'presence'} />}
                  </span>
                );
              })}
            {!typingLine && chat && chat.subjects.length > 0 && (
              <span className="muted" data-testid="subjects">
                {' · '}
                {t('chatList.subjects', { subjects: chat.subjects.join(', ') })}
              </span>
            )}
            {!typingLine && chat && chat.children.length > 0 && (
              <span className="muted" data-testid="children">
                {' · '}
                {t('families.about', { names: chat.children.join(', ') })}
              </span>
            )}
            {!typingLine && ward && (
              <span className="muted" data-testid="ward">
                {' · '}
                {t(chat?.wardOnly ? 'guardians.wardOnlyChat' : 'guardians.wardChat', { name: ward.name })}
              </span>
            )}
          </span>
        </div>
        {!ended && <ExportMenu chatId={chatId} />}
        {isAdmin && <ChatReadersButton chatId={chatId} title={title} />}
        {/* The inquiry's teacher or an admin; a family chat's either member (the server says the same). */}
        {((inquiry && isStaff) || (family && !isAdmin && !closed)) && chat?.closedReason !== 'blocked' && (
          <BlockVisitor chatId={chatId} family={family} />
        )}
        {isGroup && !ended && !chat?.wardOnly && (
          <button
            type="button"
            className="button button-quiet header-action"
            data-testid="members-button"
            onClick={() => {
              if (!details) workspace.reloadGroup(chatId);
              setMembersOpen(true);
            }}
          >
            {t('groups.members')}
          </button>
        )}
      </header>
      {isGuardian && chat?.kind === 'direct' && <GuardianClosure chatId={chatId} closedAt={chat.closedAt} news={workspace.closures} />}
      {/* Its members are told who else reads along (the guardian reading knows it already). */}
      {chat?.guardiansRead && !isGuardian && (
        <p className="guardians-notice small" role="note" data-testid="guardians-notice">
          <span aria-hidden="true">👪</span> {t(isGroup ? 'guardians.groupNotice' : 'guardians.notice')}
        </p>
      )}

      <PinnedBar
        pins={shownPins(pinControl.pins, conversation)}
        canUnpin={pinning}
        onJump={(messageId) => workspace.openAt(chatId, messageId)}
        onUnpin={(messageId) => pinControl.toggle(messageId, false)}
        error={pinControl.error}
      />
      {conversation?.status !== 'ready' ? (
        <ConversationStatus
          conversation={conversation}
          ended={ended}
          onRetry={guestEnd === null ? () => workspace.reloadConversation(chatId) : null}
        />
      ) : (
        <MessageList
          conversation={conversation}
          people={people}
          readOnly={reader}
          closed={closed || suspension !== null}
          group={isGroup}
          canReact={!reader && !ended && !closed && suspension === null && me.role !== 'guest'}
          moderation={{
            canReport: reports && !ended && suspension === null,
            onHide: isAdmin ? (messageId, reason) => moderation.hide(chatId, messageId, reason) : undefined,
            onUnhide: isAdmin ? (messageId) => moderation.unhide(chatId, messageId) : undefined,
          }}
          onLoadOlder={onLoadOlder}
          onLoadNewer={onLoadNewer}
          onJumpToLatest={onJumpToLatest}
          onFocusDone={onFocusDone}
          onRetry={(key) => workspace.retry(chatId, key)}
          onDiscard={(key) => workspace.discard(chatId, key)}
          onDelete={(messageId) => workspace.remove(chatId, messageId)}
          onEdit={(messageId, content) => workspace.edit(chatId, messageId, content)}
          onReply={onReply}
          onAtBottomChange={onAtBottomChange}
          pins={pinning ? { pinned, onToggle: pinControl.toggle } : undefined}
          seenBy={seenBy.of}
        />
      )}
      {conversation?.unavailable && <HistoryUnavailable />}

      {ended ? (
        <p className="read-only" data-testid="group-ended" data-reason={ended}>
          <span aria-hidden="true">🚪</span> {t(ended === 'left' ? 'chatList.left' : 'chatList.removed')}.{' '}
          {t('conversation.ended')}
        </p>
      ) : familyEnded(chat) ? (
        <p className="read-only" role="status" data-testid="family-ended">
          <span aria-hidden="true">🔒</span> {t('families.ended')}
        </p>
      ) : closed ? (
        <ClosedNotice
          closedAt={chat?.closedAt ?? null}
          guestEnd={guestEnd}
          reason={chat?.closedReason}
          direct={chat?.kind === 'direct'}
          family={family}
        />
      ) : chat?.teacherDeparted && !reader ? (
        <p className="read-only" role="status" data-testid="teacher-departed">
          <span aria-hidden="true">👋</span> {t('conversation.teacherDeparted')}
        </p>
      ) : chat?.teacherDeparted && isAdmin ? (
        <HandOverNotice chatId={chatId} />
      ) : listener ? (
        <p className="read-only" data-testid="announcement-read-only">
          <span aria-hidden="true">📣</span> {t('conversation.announcementReadOnly')}
        </p>
      ) : reader ? (
        <p className="read-only" data-testid="read-only">
          <span aria-hidden="true">👁</span> {t(isGuardian ? 'guardians.readOnly' : 'conversation.readOnly')}
        </p>
      ) : (
        <>
          <HeldMessages messages={heldIn(workspace.held.state, chatId, me.id)} />
          <ScheduledMessages
            messages={scheduledIn(workspace.scheduled.state, chatId)}
            onChange={workspace.scheduled.change}
            onCancel={workspace.scheduled.cancel}
          />
          {suspension && <SuspendedBanner suspension={suspension} />}
          <Composer
            chatId={chatId}
            disabled={conversation?.status !== 'ready'}
            locked={suspension !== null}
            replyTo={replyTo}
            replySender={replyTo?.senderId != null ? senderLabel(people, replyTo.senderId, t) : null}
            onCancelReply={() => setReply(null)}
            mentionable={isGroup ? details?.members.filter((m) => m.id !== me.id) : undefined}
            onSend={(content, attachments) => {
              // Written below older messages (opened at a search result): it goes after the newest.
              if (conversation?.hasNewer) jumpToLatest(chatId);
              workspace.send(chatId, content, replyTo, attachments);
              setReply(null);
            }}
            onSchedule={
              workspace.scheduled.enabled
                ? async (content, sendAt) => {
                    await workspace.scheduled.schedule(chatId, content, sendAt, replyTo?.id ?? null);
                    setReply(null);
                  }
                : undefined
            }
          />
        </>
      )}

      <Suspense fallback={null}>
        {membersOpen && isGroup && !ended && (
          <GroupPanel
            title={title}
            details={details}
            canManage={manages}
            isMember={!isAdmin}
            presence={presence}
            onRename={(next) => workspace.renameGroup(chatId, next)}
            onAdd={(userId) => workspace.addMember(chatId, userId)}
            onRemove={(userId) => workspace.removeMember(chatId, userId)}
            onRetry={() => workspace.reloadGroup(chatId)}
            onClose={() => setMembersOpen(false)}
          />
        )}
      </Suspense>
      {seenBy.dialog}
    </section>
  );
}

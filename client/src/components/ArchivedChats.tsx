// The chats we archived (`GET /api/chats?archived=true`): out of the inbox until their next
// message, never deleted. Loaded when shown, again when our archive changes (`changes`: from
// any tab, by the stream) and after an action here; each opens as in the inbox, with its actions.

import { useCallback, useEffect, useState } from 'react';

import type { ChatItem } from '../chats/model';
import { errorText } from '../errors';
import { fetchChats } from '../fetchChats';
import type { People } from '../groups';
import { useLocale } from '../i18n';
import type { PresenceMap } from '../presence';
import { useNow } from '../useNow';
import { ChatActions } from './ChatActions';
import { ChatListItem } from './ChatListItem';

interface Props {
  openChatId: number | null;
  presence: PresenceMap;
  people: People;
  /** Changes whenever the stream told of an archive or unarchive (or a message brought one back). */
  changes: string;
  onOpen: (chatId: number) => void;
}

type Loaded = { status: 'loading' } | { status: 'ready'; items: ChatItem[] } | { status: 'failed'; error: string };

export function ArchivedChats({ openChatId, presence, people, changes, onOpen }: Props) {
  const { t } = useLocale();
  const now = useNow();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [asked, setAsked] = useState(0);
  const again = useCallback(() => setAsked((n) => n + 1), []);

  useEffect(() => {
    let current = true;
    fetchChats(false, { archived: true }).then(
      ({ items }) => current && setLoaded({ status: 'ready', items }),
      (e: unknown) => current && setLoaded({ status: 'failed', error: errorText(e, t) }),
    );
    return () => {
      current = false;
    };
  }, [changes, asked, t]);

  if (loaded.status === 'loading') return <p className="pane-note muted">{t('chatList.loading')}</p>;
  if (loaded.status === 'failed') {
    return (
      <div className="pane-note" role="alert">
        <p className="error">{loaded.error}</p>
        <button type="button" className="button" onClick={again}>
          {t('app.tryAgain')}
        </button>
      </div>
    );
  }
  if (loaded.items.length === 0) {
    return (
      <p className="pane-note muted" data-testid="archived-empty">
        {t('chatList.archivedEmpty')}
      </p>
    );
  }
  return (
    <ul data-testid="archived-chats">
      {loaded.items.map((item) => (
        <li key={item.id} className="chat-row">
          <ChatListItem
            item={item}
            now={now}
            active={item.id === openChatId}
            typists={[]}
            people={people}
            presence={presence}
            onOpen={() => onOpen(item.id)}
          />
          <ChatActions item={item} onChanged={again} />
        </li>
      ))}
    </ul>
  );
}

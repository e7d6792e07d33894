// A chat's own actions in the list (participants only): mute or unmute it, archive or
// unarchive it. A button opens them; each is a request, and the stream tells every tab of the
// change (the list follows it, not this component). Escape or a second click closes them.

import { useState } from 'react';

import * as api from '../api';
import type { ChatItem } from '../chats/model';
import { errorText } from '../errors';
import { useLocale } from '../i18n';

interface Props {
  item: Pick<ChatItem, 'id' | 'muted' | 'archived'>;
  /** After a change was accepted (the archived view loads its list again). */
  onChanged?: () => void;
}

export function ChatActions({ item, onChanged }: Props) {
  const { t } = useLocale();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const menuId = `chat-actions-menu-${item.id}`;

  const change = async (setting: api.ChatSettingName, on: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await api.setChatSetting(item.id, setting, on);
      setOpen(false);
      onChanged?.();
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      className="chat-actions"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && open) {
          event.stopPropagation();
          setOpen(false);
        }
      }}
    >
      <button
        type="button"
        className="button button-quiet chat-actions-toggle"
        data-testid={`actions-${item.id}`}
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={t('chatList.actions')}
        title={t('chatList.actions')}
        onClick={() => setOpen((was) => !was)}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <div className="chat-actions-menu" id={menuId} role="group" aria-label={t('chatList.actions')}>
          <button
            type="button"
            className="button button-quiet"
            data-testid={`mute-${item.id}`}
            disabled={busy}
            onClick={() => void change('mute', !item.muted)}
          >
            {item.muted ? `🔔 ${t('chatList.unmute')}` : `🔕 ${t('chatList.mute')}`}
          </button>
          <button
            type="button"
            className="button button-quiet"
            data-testid={`archive-${item.id}`}
            disabled={busy}
            onClick={() => void change('archive', !item.archived)}
          >
            {item.archived ? `📤 ${t('chatList.unarchive')}` : `🗄 ${t('chatList.archive')}`}
          </button>
          {error && (
            <p className="error small" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

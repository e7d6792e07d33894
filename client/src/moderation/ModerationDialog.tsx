import { type KeyboardEvent, useId, useState } from 'react';

import { ClosuresPanel } from '../blocking/ClosuresPanel';
import { useLocale } from '../i18n';
import type { Moderation } from './useModeration';
import { Modal } from '../components/Modal';
import { GuardiansPanel } from '../guardians/GuardiansPanel';
import { HeldPanel } from '../quiet/HeldPanel';
import type { HeldControl } from '../quiet/useHeldMessages';
import { SchoolPanel } from '../school/SchoolPanel';
import { PeoplePanel } from './PeoplePanel';
import { ReportsPanel } from './ReportsPanel';

interface Props {
  moderation: Moderation;
  /** "Open chat" of a report: the dialog closes and the chat opens. */
  onOpenChat: (chatId: number) => void;
  onClose: () => void;
  /** Everyone's messages quiet hours hold (the Held tab), and how to name their chats and senders. */
  held: HeldControl;
  chatName: (chatId: number) => string;
  personName: (userId: number) => string;
  /** The stream's news of closure requests (a count): the Closure requests tab reloads on it. */
  closures: number;
}

const TABS = ['reports', 'people', 'guardians', 'closures', 'held', 'school'] as const;
const TAB_LABELS = {
  reports: 'moderation.reportsTab',
  people: 'moderation.peopleTab',
  guardians: 'guardians.tab',
  closures: 'blocking.tab',
  held: 'held.tab',
  school: 'school.tab',
} as const;
type Tab = (typeof TABS)[number];

/**
 * An admin's moderation: six tabs, Reports (flags first), People, Guardians, Closure requests
 * (guardians' requests to close a chat), Held (quiet hours' messages) and School (its settings);
 * the arrow keys move between them.
 */
export function ModerationDialog({ moderation, onOpenChat, onClose, held, chatName, personName, closures }: Props) {
  const { t } = useLocale();
  const headingId = useId();
  const base = useId();
  const [tab, setTab] = useState<Tab>('reports');
  const tabId = (which: Tab) => `${base}-tab-${which}`;
  const panelId = (which: Tab) => `${base}-panel-${which}`;

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    event.preventDefault();
    const step = event.key === 'ArrowRight' ? 1 : TABS.length - 1;
    const next = TABS[(TABS.indexOf(tab) + step) % TABS.length]!;
    setTab(next);
    document.getElementById(tabId(next))?.focus();
  };

  return (
    <Modal labelledBy={headingId} busy={false} onClose={onClose} testId="moderation-dialog">
      <div className="group-form moderation">
        <h2 id={headingId}>{t('moderation.title')}</h2>
        <div className="tabs" role="tablist" aria-labelledby={headingId} onKeyDown={onKeyDown}>
          {TABS.map((which) => (
            <button
              key={which}
              id={tabId(which)}
              type="button"
              role="tab"
              className="tab"
              data-testid={`moderation-tab-${which}`}
              aria-selected={tab === which}
              aria-controls={panelId(which)}
              tabIndex={tab === which ? 0 : -1}
              onClick={() => setTab(which)}
            >
              {t(TAB_LABELS[which])}
            </button>
          ))}
        </div>
        <div id={panelId(tab)} role="tabpanel" aria-labelledby={tabId(tab)} className="tab-panel">
          {tab === 'reports' && <ReportsPanel moderation={moderation} onOpenChat={onOpenChat} />}
          {tab === 'people' && <PeoplePanel moderation={moderation} />}
          {tab === 'guardians' && <GuardiansPanel />}
          {tab === 'closures' && <ClosuresPanel news={closures} />}
          {tab === 'held' && <HeldPanel held={held} chatName={chatName} personName={personName} />}
          {tab === 'school' && <SchoolPanel />}
        </div>
        <div className="dialog-actions">
          <button type="button" className="button button-quiet" data-testid="close-moderation" onClick={onClose}>
            {t('moderation.close')}
          </button>
        </div>
      </div>
    </Modal>
  );
}

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';
import { currentLanguage, i18n, startLanguage } from './i18n';
import { linkManifest } from './pwa/manifest';
import { reloadOnStaleChunks } from './views';
// The styles, one file per area of the page, in cascade order (later files override earlier ones).
import './styles/base.css';
import './styles/brand.css';
import './styles/sign-in.css';
import './styles/layout.css';
import './styles/chat-list.css';
import './styles/conversation.css';
import './styles/replies.css';
import './styles/composer.css';
import './styles/groups.css';
import './styles/phones.css';
import './styles/inquiries.css';
import './styles/attachments.css';
import './styles/moderation.css';
import './styles/safeguarding.css';
import './styles/scheduled.css';
import './styles/search-and-push.css';
import './styles/reactions.css';
import './styles/mentions.css';
import './styles/pwa.css';

reloadOnStaleChunks();
// The first render in the reader's language: its strings are fetched first (a chunk of their
// own). Should the chunk not come, the app renders all the same rather than not at all.
function render(): void {
  linkManifest(currentLanguage());
  i18n.on('languageChanged', () => linkManifest(currentLanguage()));
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
void startLanguage().then(render, render);

import { describe, expect, it } from 'vitest';

import type { Attachment, Hidden, Purged } from '../api';
import { type ConversationAction, conversationReducer, emptyConversation } from './messages';
import type { Conversation, WireMessage } from './model';
import { currentQuote } from './queries';

const ALEX = 8;
const png: Attachment = { id: 5, name: 'a.png', content_type: 'image/png', size: 10, sha256: 'ab' };

function wire(id: number, content = `message ${id}`, patch: Partial<WireMessage> = {}): WireMessage {
  return { id, sender_id: ALEX, content, created_at: '2025-01-17T15:00:00Z', ...patch };
}

const run = (actions: ConversationAction[], start: Conversation = emptyConversation(1)) =>
  actions.reduce(conversationReducer, start);

const byId = (state: Conversation, id: number) => state.messages.find((m) => m.id === id)!;

const hidden: Hidden = { hidden_at: '2025-01-17T16:00:00Z', hidden_by: 1, reason: 'insults' };
/** What a participant's stream says of it: no moderator, no reason. */
const hiddenForParticipant: Hidden = { hidden_at: '2025-01-17T16:00:00Z', hidden_by: null, reason: null };
const erased: Purged = { purged_at: '2025-01-18T00:00:00Z', cause: 'erasure' };

const snapshot = (...messages: WireMessage[]): ConversationAction => ({ type: 'snapshot', messages, hasMore: false });
const hide = (id: number, keepContent: boolean): ConversationAction => ({
  type: 'hidden',
  id,
  hidden: keepContent ? hidden : hiddenForParticipant,
  keepContent,
});

describe('a hidden message', () => {
  it('loses its content and files for a participant, marked hidden', () => {
    const state = run([snapshot(wire(3, 'rude words', { attachments: [png], type: 'image' })), hide(3, false)]);
    expect(byId(state, 3)).toMatchObject({ content: '', attachments: [], type: 'text', hidden: hiddenForParticipant });
  });

  it('keeps its content and files for an admin, marked hidden with who and why', () => {
    const state = run([snapshot(wire(3, 'rude words', { attachments: [png], type: 'image' })), hide(3, true)]);
    expect(byId(state, 3)).toMatchObject({ content: 'rude words', attachments: [png], hidden });
  });

  it('stays hidden when a snapshot read before the hide arrives after it', () => {
    const state = run([hide(3, false), snapshot(wire(2), wire(3, 'rude words'))]);
    expect(byId(state, 3)).toMatchObject({ content: '', hidden: hiddenForParticipant });
    expect(byId(state, 2)).toMatchObject({ content: 'message 2', hidden: null });
  });

  it('is not given back an edit seen before it was hidden', () => {
    const edited = wire(3, 'rude words, edited', { is_edited: true, edited_at: '2025-01-17T15:30:00Z' });
    const state = run([
      { type: 'edited', message: edited },
      // The server's history: hidden, without content.
      snapshot(wire(3, '', { hidden: hiddenForParticipant, is_edited: true, edited_at: '2025-01-17T15:30:00Z' })),
    ]);
    expect(byId(state, 3)).toMatchObject({ content: '', hidden: hiddenForParticipant });
  });

  it('comes back whole when unhidden, even under a snapshot read while it was hidden', () => {
    const back = wire(3, 'fine words', { is_edited: true, edited_at: '2025-01-17T15:30:00Z', attachments: [png] });
    const state = run([
      snapshot(wire(3, 'fine words')),
      hide(3, false),
      { type: 'unhidden', message: back },
      snapshot(wire(3, '', { hidden: hiddenForParticipant })),
    ]);
    expect(byId(state, 3)).toMatchObject({ content: 'fine words', attachments: [png], hidden: null, isEdited: true });
  });

  it('takes edits made after it was unhidden', () => {
    const state = run([
      snapshot(wire(3, 'first')),
      hide(3, false),
      { type: 'unhidden', message: wire(3, 'first') },
      { type: 'edited', message: wire(3, 'second', { is_edited: true, edited_at: '2025-01-17T17:00:00Z' }) },
    ]);
    expect(byId(state, 3)).toMatchObject({ content: 'second', hidden: null });
  });

  it('changes nothing when the same hide arrives again', () => {
    const once = run([snapshot(wire(3)), hide(3, false)]);
    expect(conversationReducer(once, hide(3, false))).toBe(once);
  });
});

describe('purged messages', () => {
  it('lose their content for good, for everyone, and say why', () => {
    const state = run([
      snapshot(wire(3, 'mine'), wire(4, 'also mine', { attachments: [png] }), wire(5)),
      { type: 'purged', ids: [3, 4], purged: erased },
    ]);
    expect(byId(state, 3)).toMatchObject({ content: '', purged: erased });
    expect(byId(state, 4)).toMatchObject({ content: '', attachments: [], purged: erased });
    expect(byId(state, 5)).toMatchObject({ content: 'message 5', purged: null });
  });

  it('stay purged whatever comes later: an unhide, a hide, an old snapshot', () => {
    const state = run([
      { type: 'purged', ids: [3], purged: erased },
      { type: 'unhidden', message: wire(3, 'back?') },
      hide(3, true),
      snapshot(wire(3, 'old text')),
    ]);
    expect(byId(state, 3)).toMatchObject({ content: '', purged: erased, hidden: null });
  });
});

describe('quotes of moderated messages', () => {
  const reply = wire(9, 'answer', {
    reply_to: { id: 3, sender_id: ALEX, content_preview: 'rude words', is_deleted: false, unavailable: false, removed: null },
  });

  it('show the placeholder once the quoted message is hidden, and its text again once unhidden', () => {
    const hiddenState = run([snapshot(wire(3, 'rude words'), reply), hide(3, false)]);
    expect(byId(hiddenState, 9).replyTo).toMatchObject({ id: 3, preview: null, removed: { kind: 'hidden' } });
    const back = run([{ type: 'unhidden', message: wire(3, 'kind words') }], hiddenState);
    expect(byId(back, 9).replyTo).toMatchObject({ id: 3, preview: 'kind words' });
    expect(byId(back, 9).replyTo?.removed).toBeUndefined();
  });

  it('say why the quoted message was purged when the stream told', () => {
    const state = run([snapshot(reply), { type: 'purged', ids: [3], purged: erased }]);
    expect(byId(state, 9).replyTo).toMatchObject({ preview: null, removed: { kind: 'purged', cause: 'erasure' } });
  });

  it('read `removed` from the server, and keep it over an earlier edit', () => {
    const fromServer = wire(9, 'answer', {
      reply_to: { id: 3, sender_id: ALEX, content_preview: null, is_deleted: false, unavailable: false, removed: 'purged' },
    });
    const state = run([
      { type: 'edited', message: wire(3, 'edited', { is_edited: true, edited_at: '2025-01-17T15:30:00Z' }) },
      snapshot(fromServer),
    ]);
    expect(byId(state, 9).replyTo).toMatchObject({ preview: null, removed: { kind: 'purged', cause: null } });
  });

  it('follow a hide in the quote being written', () => {
    const state = run([snapshot(wire(3, 'rude words')), hide(3, false)]);
    const draft = { id: 3, senderId: ALEX, preview: 'rude words', isDeleted: false };
    expect(currentQuote(state, draft)).toMatchObject({ preview: null, removed: { kind: 'hidden' } });
  });
});

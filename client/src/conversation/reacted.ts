// What `reaction_added` and `reaction_removed` do to a conversation: the message's reactions,
// loaded or waiting beyond the window, follow (reactions.ts's `withReaction`: seen twice, the
// same). A message not loaded is left alone: history brings it with its reactions as they are
// then, and the stream whatever follows.

import { withReaction } from '../reactions/reactions';
import type { Emoji } from '../reactions/reactions';
import type { Conversation, Message } from './model';

export function reactedIn(
  state: Conversation,
  action: { id: number; emoji: Emoji; userId: number; added: boolean },
): Conversation {
  const { id, emoji, userId, added } = action;
  const follow = (messages: readonly Message[]) => {
    let changed = false;
    const next = messages.map((m) => {
      if (m.id !== id) return m;
      const reactions = withReaction(m.reactions, emoji, userId, added);
      if (reactions === m.reactions) return m;
      changed = true;
      return { ...m, reactions };
    });
    return changed ? next : null;
  };
  const messages = follow(state.messages);
  const beyond = follow(state.beyond);
  if (!messages && !beyond) return state;
  return { ...state, messages: messages ?? state.messages, beyond: beyond ?? state.beyond };
}

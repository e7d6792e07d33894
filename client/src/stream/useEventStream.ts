// The one live connection of a tab: an EventSource on /api/events/chat.
//
// - It opens at the chat-list snapshot's position (`?last_event_id=`), so nothing committed
//   between the snapshot and the stream is missed.
// - While the browser reconnects by itself it sends `Last-Event-ID`, and the server replays
//   what was missed. Events at or before the last position handled are dropped, so nothing
//   is applied twice.
// - If the stream closes for good (readyState CLOSED: e.g. a 401 after the session expired),
//   it asks /api/me: 401 means signed out; otherwise it opens a new EventSource from the last
//   position handled, backing off while the server is unreachable (a random delay up to the
//   back-off, so that the tabs of a whole school do not return in the same instant).
// - `typing` and `presence` are not in the log: they have no id, are always delivered, and
//   never move the position (an EventSource hands them the last id it saw, which is not
//   theirs). What they would have said while the stream was down is lost, so `onOpen` tells
//   the owner each time the stream (re)opens, to fetch the presence it shows again.
// - The owner may end it for good from an event (`onEvent` answers `'end'`: a guest's chat
//   closed, and the server ends their stream next): it closes before the browser could
//   reconnect, and stays `ended`. A 401 ends it too.

import { useEffect, useRef, useState } from 'react';

import { isUnauthorized, me, notePosition, resetPosition } from '../api';
import { EVENT_TYPES, type StreamEvent, backoffDelay, followPosition, parseStreamEvent } from './events';

/** `ended`: closed for good (a 401, or the owner ended it); nothing reconnects. */
export type Connection = 'live' | 'reconnecting' | 'ended';

export interface EventStreamOptions {
  /** Null until the stream should open; then where it starts: after this log position (a
   * snapshot's `X-Event-Position`), or live from now if that is unknown. Set it once: from
   * then on the stream keeps its own position. */
  start: { after: number | null } | null;
  /** Handles an event; answering `'end'` closes the stream for good. */
  onEvent: (event: StreamEvent) => void | 'end';
  /** The stream opened, the first time or again: live events sent meanwhile were missed. */
  onOpen?: () => void;
  /** The stream closed and the session is gone (`error`: the 401 that said so). */
  onSignedOut: (error: unknown) => void;
}


export function useEventStream({ start, onEvent, onOpen, onSignedOut }: EventStreamOptions): Connection {
  const [connection, setConnection] = useState<Connection>('reconnecting');
  const handlers = useRef({ onEvent, onOpen, onSignedOut });
  useEffect(() => {
    handlers.current = { onEvent, onOpen, onSignedOut };
  });
  useEffect(() => {
    if (start === null) return;
    let last = start.after;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let stopped = false;

    const handle = (type: string, frame: MessageEvent<string>) => {
      const event = parseStreamEvent(type, frame.data, frame.lastEventId);
      if (!event || stopped) return;
      const step = followPosition(last, event);
      last = step.last;
      if (event.type === 'reset') resetPosition(event.position);
      else if (step.last !== null) notePosition(step.last);
      if (step.handle && handlers.current.onEvent(event) === 'end') end();
    };

    const end = () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
      source = null;
      setConnection('ended');
    };

    const open = () => {
      const query = last === null ? '' : `?last_event_id=${last}`;
      const es = new EventSource(`/api/events/chat${query}`, { withCredentials: true });
      source = es;
      es.onopen = () => {
        failures = 0;
        setConnection('live');
        handlers.current.onOpen?.();
      };
      es.onerror = () => {
        if (stopped) return;
        setConnection('reconnecting');
        if (es.readyState === EventSource.CLOSED) recover();
      };
      for (const type of EVENT_TYPES) {
        es.addEventListener(type, (frame) => handle(type, frame));
      }
    };

    const recover = () => {
      source?.close();
      source = null;
      const delay = backoffDelay(failures);
      failures += 1;
      timer = setTimeout(async () => {
        try {
          await me();
        } catch (error) {
          if (stopped) return;
          if (isUnauthorized(error)) {
            end();
            handlers.current.onSignedOut(error);
          } else {
            recover(); // the server is unreachable: try again later
          }
          return;
        }
        if (!stopped) open();
      }, delay);
    };

    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [start]);

  return connection;
}

// A chat's pins while it is open: read when it opens and again on each of the stream's news of
// pins (`news`, counted by the workspace: a pin, an unpin, a message gone, a reset), the newest
// answer kept; pinning and unpinning (a refusal, e.g. `too_many_pins`, in the user's words),
// whose news then comes back on the stream to every tab.

import { useCallback, useEffect, useState } from 'react';

import { errorText } from '../errors';
import { useLocale } from '../i18n';
import type { Pin } from './pins';
import { listPins, setPin } from './pinsApi';

export interface PinsControl {
  /** The chat's pins, newest pin first (empty until read, or if reading failed). */
  pins: Pin[];
  /** Pins (`on`) or unpins a message. */
  toggle: (messageId: number, on: boolean) => void;
  /** Why the last pin or unpin failed (null: it did not). */
  error: string | null;
}

export function usePins(chatId: number, news: number): PinsControl {
  const { t } = useLocale();
  const [read, setRead] = useState<{ chatId: number; pins: Pin[] }>({ chatId, pins: [] });
  const [error, setError] = useState<{ chatId: number; text: string } | null>(null);

  useEffect(() => {
    let current = true;
    listPins(chatId).then(
      (pins) => current && setRead({ chatId, pins }),
      () => {
        // The bar is a courtesy: the conversation reads on without it (the next news reads again).
      },
    );
    return () => {
      current = false;
    };
  }, [chatId, news]);

  const toggle = useCallback(
    (messageId: number, on: boolean) => {
      setError(null);
      setPin(chatId, messageId, on)
        .then(() => listPins(chatId))
        .then(
          (pins) => setRead({ chatId, pins }),
          (refusal: unknown) => setError({ chatId, text: errorText(refusal, t) }),
        );
    },
    [chatId, t],
  );
  return {
    pins: read.chatId === chatId ? read.pins : [],
    toggle,
    error: error?.chatId === chatId ? error.text : null,
  };
}

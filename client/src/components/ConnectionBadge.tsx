import type { Connection } from '../useEventStream';

/** The live stream's state; the text is exactly "live" or "reconnecting". */
export function ConnectionBadge({ connection }: { connection: Connection }) {
  return (
    <span
      className={`connection connection-${connection}`}
      data-testid="connection"
      role="status"
      title={connection === 'live' ? 'Receiving messages live' : 'Connection lost, reconnecting…'}
    >
      {connection}
    </span>
  );
}

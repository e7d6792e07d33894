import type { CSSProperties } from 'react';

import type { Person } from '../api';
import type { Presence } from '../presence';

const HUES = [250, 200, 160, 20, 330, 280, 40, 180];

/**
 * The first letters of the first and last words. Words that start with neither a letter nor a
 * digit (a group's title may end with an emoji) are skipped.
 */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter((word) => /^[\p{L}\p{N}]/u.test(word));
  const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!] : words;
  return letters.map((w) => [...w][0]!.toUpperCase()).join('') || '?';
}

interface Props {
  person: Pick<Person, 'id' | 'name'>;
  size?: 'sm' | 'md' | 'lg';
  /** A green dot while they are online; nothing when offline or unknown (null). */
  presence?: Presence | null;
  /** A group's (its title's initials, on a rounded square; `person.id` is the chat's). */
  group?: boolean;
}

/**
 * Initials on a colour of their own. Decorative (aria-hidden): whatever it shows is also said
 * in text nearby. `data-presence` is "online" or "offline" when presence is known.
 */
export function Avatar({ person, size = 'md', presence = null, group = false }: Props) {
  const hue = HUES[person.id % HUES.length];
  const state = presence === null ? undefined : presence.online ? 'online' : 'offline';
  return (
    <span
      className={`avatar avatar-${size}${group ? ' avatar-group' : ''}`}
      style={{ '--hue': hue } as CSSProperties}
      data-presence={state}
      aria-hidden="true"
    >
      {initials(person.name)}
      {presence?.online && <span className="presence-dot" />}
    </span>
  );
}

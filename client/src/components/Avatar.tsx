import type { CSSProperties } from 'react';

import type { Person } from '../api';

const HUES = [250, 200, 160, 20, 330, 280, 40, 180];

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!] : words;
  return letters.map((w) => [...w][0]!.toUpperCase()).join('') || '?';
}

export function Avatar({ person, size = 'md' }: { person: Pick<Person, 'id' | 'name'>; size?: 'sm' | 'md' | 'lg' }) {
  const hue = HUES[person.id % HUES.length];
  return (
    <span className={`avatar avatar-${size}`} style={{ '--hue': hue } as CSSProperties} aria-hidden="true">
      {initials(person.name)}
    </span>
  );
}

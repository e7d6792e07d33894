import { describe, expect, it } from 'vitest';

import { showBadge } from './badge';
import { webManifest } from './manifest';

describe('the web app manifests', () => {
  it('name the app in each language, as one app (the same id, start and scope)', () => {
    const [en, ru] = [webManifest('en'), webManifest('ru')];
    expect(en.name).toBe('Tutorchat: the school chat');
    expect(ru.name).toBe('Tutorchat: чат школы');
    expect([ru.lang, ru.description]).not.toEqual([en.lang, en.description]);
    for (const manifest of [en, ru]) {
      expect(manifest).toMatchObject({ id: '/', start_url: '/', scope: '/', display: 'standalone' });
    }
  });

  it('have what installing needs: 192 and 512 px PNG icons, and a maskable one', () => {
    const icons = webManifest('en').icons;
    expect(icons.filter((i) => i.purpose === 'any').map((i) => i.sizes)).toEqual(['192x192', '512x512']);
    expect(icons.find((i) => i.purpose === 'maskable')).toMatchObject({ sizes: '512x512', type: 'image/png' });
  });
});

describe('the app badge', () => {
  function badgeNavigator() {
    const calls: (number | 'cleared')[] = [];
    const nav = {
      setAppBadge: async (count?: number) => void calls.push(count ?? 0),
      clearAppBadge: async () => void calls.push('cleared'),
    } as unknown as Navigator;
    return { nav, calls };
  }

  it('shows the unread total, and nothing for none or when signed out', () => {
    const { nav, calls } = badgeNavigator();
    showBadge(3, nav);
    showBadge(0, nav);
    showBadge(null, nav);
    expect(calls).toEqual([3, 'cleared', 'cleared']);
  });

  it('does nothing where the browser has no badge, and a refusal is not an error', () => {
    expect(() => showBadge(2, {} as Navigator)).not.toThrow();
    const refusing = { setAppBadge: () => Promise.reject(new Error('not allowed')), clearAppBadge: async () => {} };
    showBadge(2, refusing as unknown as Navigator);
  });
});

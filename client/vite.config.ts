import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig } from 'vitest/config';

import { type ManifestLanguage, manifestPath, webManifest } from './src/pwa/manifest.ts';

// `npm run dev` serves the app with hot reload and sends /api (including the event
// stream) to a tutorchat server started with `cargo run -- serve --demo`.
const backend = process.env.TUTORCHAT_URL ?? 'http://127.0.0.1:8080';

/** The manifests, one per language (src/pwa/manifest.ts), written into the build. */
function webManifests(): Plugin {
  return {
    name: 'tutorchat-web-manifests',
    apply: 'build',
    generateBundle() {
      for (const language of ['en', 'ru'] satisfies ManifestLanguage[]) {
        this.emitFile({
          type: 'asset',
          fileName: manifestPath(language).slice(1),
          source: JSON.stringify(webManifest(language), null, 2),
        });
      }
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    webManifests(),
    // The one service worker (src/sw.ts, built to /sw.js): Workbox's precache of the files
    // below injected into it. It is registered by the page (pwa/useUpdate.ts), and the
    // manifests are ours (above), so the plugin injects neither.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      manifest: false,
      injectManifest: {
        rollupFormat: 'iife',
        globPatterns: ['index.html', 'assets/**/*.{js,css}', 'icons/*.png', 'favicon.svg', '*.webmanifest'],
        // The dialogs only staff and admins open (views.ts, ChatReadersButton.tsx) are not
        // precached on every student's and guardian's phone: fetched when first opened, online
        // (they act on the server anyway).
        globIgnores: ['assets/{NewGroupDialog,InquiryLinksDialog,LessonsDialog,ModerationDialog,ChatReadersDialog}-*.js'],
      },
    }),
  ],
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
    },
  },
  build: {
    target: 'es2022',
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'scripts/**/*.test.mjs'],
    setupFiles: ['src/test/languages.ts'],
  },
});

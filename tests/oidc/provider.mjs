#!/usr/bin/env node
// A real OpenID Provider (oidc-provider) for tutorchat's tests, plus test-only control
// endpoints under /__test/. See README.md beside this file.
//
// stdout carries exactly one line, `READY {"issuer":"..."}`; everything else goes to stderr.
import * as fs from 'node:fs';
import * as http from 'node:http';

// The command line first: it is checked before the keys are made.
import { issuer, listeningOn, opts } from './options.mjs';
import { interaction, sendHtml } from './interaction.mjs';
import { current, rebuildProvider } from './oidc.mjs';
import { esc, page } from './pages.mjs';
import { handleTest } from './testing.mjs';

// oidc-provider prints some notices with console.info; keep stdout for the READY line.
const printReady = (line) => process.stdout.write(`${line}\n`);
console.log = console.info = console.debug = (...args) => console.error(...args);

// The HTTP server
const server = http.createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  if (opts.verbose) res.on('finish', () => console.error(`${req.method} ${req.url} -> ${res.statusCode}`));
  try {
    if (path.startsWith('/__test/')) {
      await handleTest(req, res, path);
      return;
    }
    const m = path.match(/^\/interaction\/([^/]+)(\/abort)?$/);
    if (m && (req.method === 'GET' || (req.method === 'POST' && !m[2]))) {
      await interaction(req, res, m[1], m[2] ? 'abort' : undefined);
      return;
    }
    current.handler(req, res);
  } catch (err) {
    console.error(`${req.method} ${path}:`, err.message);
    if (!res.headersSent) {
      const status = err.statusCode ?? err.status ?? 500;
      sendHtml(res, status, page('Error', `<pre>${esc(err.error ?? 'server_error')}: ${esc(err.error_description ?? err.message)}</pre>`));
    } else res.end();
  }
});

server.listen(Number(opts.port), '127.0.0.1', () => {
  const { port } = server.address();
  listeningOn(port);
  try {
    rebuildProvider();
  } catch (err) {
    console.error('provider.mjs: cannot configure oidc-provider:', err);
    process.exit(1);
  }
  printReady(`READY ${JSON.stringify({ issuer })}`);
});
server.on('error', (err) => {
  console.error('provider.mjs:', err.message);
  process.exit(1);
});

// Exit with the parent: on SIGTERM/SIGINT, and when a piped stdin closes. Stdin is watched
// only when it is a pipe or socket, so a provider started with stdin at /dev/null or a
// terminal does not exit at once.
const shutdown = (why) => {
  console.error(`provider.mjs: exiting (${why})`);
  process.exit(0);
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
try {
  const st = fs.fstatSync(0);
  if (st.isFIFO() || st.isSocket()) {
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    process.stdin.on('error', () => shutdown('stdin error'));
    process.stdin.resume();
  }
} catch { /* no stdin at all */ }

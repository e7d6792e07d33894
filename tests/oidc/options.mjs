// The command line and the settings derived from it; the issuer and the local origin once listening.
import { parseArgs } from 'node:util';

export const { values: opts } = parseArgs({
  options: {
    port: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    audience: { type: 'string', default: 'tutorchat-api' },
    resource: { type: 'string' },
    'issuer-host': { type: 'string', default: '127.0.0.1' },
    'access-token-alg': { type: 'string', default: 'RS256' },
    'access-token-ttl': { type: 'string', default: '3600' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});

function usage(msg) {
  console.error(`provider.mjs: ${msg}
usage: node provider.mjs --port N --redirect-uri URI [--redirect-uri URI ...]
         --post-logout-redirect-uri URI [...] [--audience tutorchat-api] [--resource URI]
         [--issuer-host 127.0.0.1] [--access-token-alg RS256|ES256|EdDSA]
         [--access-token-ttl 3600] [--verbose]`);
  process.exit(2);
}

if (opts.port === undefined || !/^\d+$/.test(opts.port)) usage('--port N is required (0 picks a free port)');
export const redirectUris = opts['redirect-uri'] ?? [];
export const postLogoutRedirectUris = opts['post-logout-redirect-uri'] ?? [];
if (!redirectUris.length) usage('at least one --redirect-uri is required');
export const audience = opts.audience;
// RFC 8707 resource indicators must be absolute URIs (oidc-provider rejects others with
// invalid_target); the token's `aud` is the audience either way.
export const resource = opts.resource ?? (URL.parse(audience)?.protocol ? audience : `urn:${audience}`);
export const accessTokenAlg = opts['access-token-alg'];
export const accessTokenTTL = Number(opts['access-token-ttl']);

export let issuer; // set once the port is known
export let localOrigin; // http://127.0.0.1:<port>, where this process actually listens

/** Sets the issuer and the local origin once the server listens on `port`. */
export function listeningOn(port) {
  localOrigin = `http://127.0.0.1:${port}`;
  issuer = `http://${opts['issuer-host']}:${port}`;
}

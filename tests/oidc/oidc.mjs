// The oidc-provider instance: clients, accounts, grants, resource indicators, pages, lifetimes.
// It is re-created with a new keystore on rotation; the in-memory adapter's storage is module-level,
// so sessions, grants and codes survive a swap, and so do cookies since the cookie keys are kept.
import * as crypto from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

import { currentKeys, publishedKeys } from './keys.mjs';
import {
  accessTokenAlg, accessTokenTTL, audience, issuer, postLogoutRedirectUris, redirectUris, resource,
} from './options.mjs';
import { esc, page } from './pages.mjs';

// Accounts: any login is an account; accountId = the login as typed.
function claimsFor(login) {
  const email = login.toLowerCase();
  return {
    sub: login,
    email,
    email_verified: !login.startsWith('unverified+'),
    name: login.split('@')[0],
  };
}

const cookieKeys = [crypto.randomBytes(32).toString('base64url')];

async function loadExistingGrant(ctx) {
  // First-party clients: never ask for consent. Reuse the session's grant if any and add
  // whatever this request asks for.
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant) {
    grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' ') || 'openid');
  if (oidc.requestParamClaims.size) grant.addOIDCClaims([...oidc.requestParamClaims]);
  for (const [indicator, rs] of Object.entries(oidc.resourceServers ?? {})) {
    grant.addResourceScope(indicator, rs.scope ?? '');
  }
  await grant.save();
  return grant;
}

function providerConfig(jwks) {
  const client = {
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  };
  return {
    clients: [
      {
        ...client,
        client_id: 'tutorchat',
        client_secret: 'tutorchat-test-secret',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      { ...client, client_id: 'tutorchat-public', token_endpoint_auth_method: 'none' },
    ],
    jwks,
    cookies: { keys: cookieKeys },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => claimsFor(sub),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    loadExistingGrant,
    extraTokenClaims: async (ctx, token) => {
      if (!token.accountId) return undefined;
      const { email, email_verified: emailVerified } = claimsFor(token.accountId);
      return { email, email_verified: emailVerified };
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope: '',
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL,
            jwt: { sign: { alg: accessTokenAlg, kid: currentKeys[accessTokenAlg].kid } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out', `<p>Do you want to sign out?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<p>You have been signed out.</p>');
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Error', Object.entries(out)
        .map(([k, v]) => `<pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`).join('\n'));
    },
    clientBasedCORS: (ctx, origin, client) => origin !== 'null'
      && client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
    ttl: {
      AccessToken: accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 86400,
      Grant: 86400,
    },
  };
}

export let current; // { provider, handler }

function buildProvider() {
  const jwks = { keys: publishedKeys().map((k) => k.privateJwk) };
  const provider = new Provider(issuer, providerConfig(jwks));
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error']) {
    provider.on(event, (ctx, err) => console.error(`oidc-provider ${event}:`, err?.message, err?.error_description ?? ''));
  }
  return { provider, handler: provider.callback() };
}

/** Builds the provider for the keys published now (at start, and on each rotation). */
export function rebuildProvider() {
  current = buildProvider();
}

// The login form's interactions (consent is normally skipped by the provider's loadExistingGrant).
import { errors } from 'oidc-provider';

import { current } from './oidc.mjs';
import { consentPage, loginPage } from './pages.mjs';

export async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function sendHtml(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

export async function interaction(req, res, uid, action) {
  const { provider } = current;
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new errors.SessionNotFound('interaction uid mismatch');
  if (action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const { prompt, params, session, grantId } = details;
  if (req.method === 'GET') {
    const client = await provider.Client.find(params.client_id);
    sendHtml(res, 200, prompt.name === 'login' ? loginPage(uid, params) : consentPage(uid, client));
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  if (prompt.name === 'login') {
    const login = form.get('login') ?? '';
    if (!login) {
      sendHtml(res, 400, loginPage(uid, params, 'login is required'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  // consent
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const d = prompt.details;
  if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

// The provider's HTML pages (no external resources: the test machines have no network).

export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const page = (title, body) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><h1>${esc(title)}</h1>
${body}
</body></html>`;

export function loginPage(uid, params, error) {
  return page('Sign-in', `${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<p>Test provider: any login and password are accepted.</p>
<form autocomplete="off" action="/interaction/${esc(uid)}" method="post">
  <input type="hidden" name="prompt" value="login">
  <label>Login <input required type="text" name="login" value="${esc(params.login_hint ?? '')}" autofocus></label>
  <label>Password <input required type="password" name="password"></label>
  <button type="submit">Sign-in</button>
</form>
<p><a href="/interaction/${esc(uid)}/abort">Cancel</a></p>`);
}

export function consentPage(uid, client) {
  return page('Authorize', `<p>${esc(client?.clientId ?? '')} asks for access.</p>
<form autocomplete="off" action="/interaction/${esc(uid)}" method="post">
  <input type="hidden" name="prompt" value="consent">
  <button type="submit">Continue</button>
</form>`);
}

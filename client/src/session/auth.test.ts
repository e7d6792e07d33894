import { describe, expect, it } from 'vitest';

import { addressWithoutAuthError, authErrorOf, schoolSignInUrl, searchWithoutAuthError, signInOffer } from './auth';
import { refusalText } from '../errors';
import { i18n } from '../i18n';

describe('what the sign-in page offers', () => {
  it("follows the server's config: the school's button, the demo's picker, both or neither", () => {
    expect(signInOffer({ oidc: true, dev_login: false, push: false })).toEqual({ school: true, picker: false });
    expect(signInOffer({ oidc: false, dev_login: true, push: false })).toEqual({ school: false, picker: true });
    expect(signInOffer({ oidc: true, dev_login: true, push: false })).toEqual({ school: true, picker: true });
    expect(signInOffer({ oidc: false, dev_login: false, push: false })).toEqual({ school: false, picker: false });
  });

  it('shows the picker, as it always did, when the config could not be had (an older server)', () => {
    expect(signInOffer(null)).toEqual({ school: false, picker: true });
  });
});

describe('a failed sign-in (auth_error)', () => {
  it('reads the code the server came back with', () => {
    expect(authErrorOf('?auth_error=unknown_user')).toBe('unknown_user');
    expect(authErrorOf('?auth_error=sign_in_denied')).toBe('sign_in_denied');
    expect(authErrorOf('?x=1&auth_error=sign_in_failed&y=2')).toBe('sign_in_failed');
    expect(authErrorOf('auth_error=sign_in_denied')).toBe('sign_in_denied');
  });

  it('says an unknown or empty code as a failed sign-in, and nothing without the parameter', () => {
    expect(authErrorOf('?auth_error=brand_new_reason')).toBe('sign_in_failed');
    expect(authErrorOf('?auth_error=')).toBe('sign_in_failed');
    expect(authErrorOf('?auth_error=toString')).toBe('sign_in_failed');
    expect(authErrorOf('')).toBeNull();
    expect(authErrorOf('?')).toBeNull();
    expect(authErrorOf('?error=sign_in_denied&auth_errors=x')).toBeNull();
  });

  it('has words for each code in both languages', () => {
    for (const search of ['?auth_error=unknown_user', '?auth_error=sign_in_denied', '?auth_error=other']) {
      const code = authErrorOf(search);
      expect(refusalText(400, code, i18n.getFixedT('en'))).toMatch(/school/);
      expect(refusalText(400, code, i18n.getFixedT('ru'))).toMatch(/школы/);
    }
  });

  it('is taken out of the address, every other parameter and the hash kept as they were', () => {
    const at = (pathname: string, search: string, hash = '') => addressWithoutAuthError({ pathname, search, hash });
    expect(at('/', '?auth_error=unknown_user')).toBe('/');
    expect(at('/chats/12', '?auth_error=sign_in_failed', '#m5')).toBe('/chats/12#m5');
    expect(at('/', '?a=%D0%B4%20b+c&auth_error=sign_in_denied&z=')).toBe('/?a=%D0%B4%20b+c&z=');
    // Twice, or written with escapes: every copy goes.
    expect(at('/', '?auth_error=x&q=1&auth%5Ferror=y')).toBe('/?q=1');
  });

  it('leaves an address without it alone (nothing to replace)', () => {
    expect(addressWithoutAuthError({ pathname: '/', search: '', hash: '' })).toBeNull();
    expect(addressWithoutAuthError({ pathname: '/chats/3', search: '?q=auth_error', hash: '' })).toBeNull();
    expect(searchWithoutAuthError('?q=1&r=2')).toBe('?q=1&r=2');
    expect(searchWithoutAuthError('')).toBe('');
    expect(searchWithoutAuthError('?auth_error=x')).toBe('');
  });
});

describe("the school's sign-in", () => {
  it('starts at /api/auth/login and comes back to this page, its path and query', () => {
    expect(schoolSignInUrl({ pathname: '/', search: '' })).toBe('/api/auth/login?return_to=%2F');
    expect(schoolSignInUrl({ pathname: '/chats/12', search: '?a=1&b=%20' })).toBe(
      '/api/auth/login?return_to=%2Fchats%2F12%3Fa%3D1%26b%3D%2520',
    );
  });

  it('does not come back with the failure of the attempt before', () => {
    const url = schoolSignInUrl({ pathname: '/chats/12', search: '?auth_error=sign_in_denied&a=1' });
    expect(new URL(url, 'https://chat.example').searchParams.get('return_to')).toBe('/chats/12?a=1');
    expect(schoolSignInUrl({ pathname: '/', search: '?auth_error=unknown_user' })).toBe(
      '/api/auth/login?return_to=%2F',
    );
  });
});

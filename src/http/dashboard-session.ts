import { createHmac, timingSafeEqual } from 'node:crypto';
import { escapeHtml } from '../dashboard/html-text.js';

/*
 * A browser session for the dashboard when the side-port needs a bearer token. A browser cannot send an
 * Authorization header when someone opens a link, so /dashboard?token=<token> is accepted once: the answer sets
 * a cookie and redirects to /dashboard, so the token leaves the address bar and the history. The page's own
 * requests (its view, /predict from the form) then carry the cookie.
 *
 * The cookie holds an HMAC keyed by the token, never the token: a leaked cookie does not reveal a token that may
 * open other doors, and a new token ends every session. HttpOnly keeps scripts from reading it; SameSite=Strict
 * keeps other sites from sending it along (no cross-site request forgery); no Max-Age: it ends with the browser.
 * One cookie of our own naming, its value base64url: reading and writing it needs no cookie library (the
 * well-kept one, `cookie` 2, needs Node 22, and Node 20 is still supported).
 */

export const SESSION_COOKIE = 'churn_scorer_session';
/** the route a browser opens with ?token= to start a session */
export const DASHBOARD_PAGE = '/dashboard';

const SESSION_CONTEXT = 'churn-scorer dashboard session v1';

/** The cookie value of a session under `token` (pure). */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update(SESSION_CONTEXT).digest('base64url');
}

/** Whether the Cookie header carries the session of the expected token (constant time on equal lengths). */
export function hasSession(cookieHeader: string | undefined, expected: Buffer): boolean {
  if (cookieHeader === undefined) return false;
  const presented = cookieValue(cookieHeader, SESSION_COOKIE);
  if (presented === undefined) return false;
  const bytes = Buffer.from(presented, 'utf8');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** The value of cookie `name` in a Cookie header (RFC 6265: `a=1; b=2`), the first if repeated. */
export function cookieValue(header: string, name: string): string | undefined {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header of a new session. */
export function sessionCookie(value: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The ?token= of a dashboard request, if any (a repeated parameter is refused as no token). */
export function queryToken(query: unknown): string | undefined {
  const token = (query as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/** What the dashboard answers a browser without a session: a page saying how to open one, never the token. */
export function signInPage(service: string, invalid: boolean): string {
  const why = invalid ? 'The token given is not valid.' : 'This side-port needs its bearer token.';
  const name = escapeHtml(service);
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" ' +
    'content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">' +
    `<title>${name}: sign in</title></head><body><main><h1>${name} dashboard</h1><p>${why} Open ` +
    '<code>/dashboard?token=&lt;token&gt;</code> once (the value of HTTP_AUTH_TOKEN): the browser then keeps a ' +
    'session cookie and the token leaves the address bar.</p></main></body></html>'
  );
}

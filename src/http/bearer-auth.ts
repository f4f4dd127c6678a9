import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  DASHBOARD_PAGE,
  hasSession,
  queryToken,
  sessionCookie,
  sessionValue,
  signInPage,
} from './dashboard-session.js';
import { AUTHORIZATION_FIELD, httpError, type HttpError } from './error-body.js';
import { needsToken, type AccessRules } from './route-access.js';
import { SCHEMA_IDS, ref } from './schemas.js';

/** Name of the OpenAPI security scheme the protected operations list. */
export const BEARER_SCHEME = 'bearerAuth';

export type BearerVerdict = 'ok' | 'missing' | 'invalid';

const BEARER_HEADER = /^Bearer +(\S+) *$/i;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Judges an Authorization header against the expected token's SHA-256. Both sides are hashed first so the
 * constant-time comparison runs on equal lengths and leaks neither the token's content nor its length.
 */
export function bearerVerdict(header: string | undefined, expectedDigest: Buffer): BearerVerdict {
  if (header === undefined || !/^bearer(\s|$)/i.test(header)) return 'missing';
  const presented = BEARER_HEADER.exec(header)?.[1];
  if (presented === undefined) return 'invalid';
  return timingSafeEqual(sha256(presented), expectedDigest) ? 'ok' : 'invalid';
}

/** The 401 answer; never repeats what the client sent. */
export function unauthorized(verdict: Exclude<BearerVerdict, 'ok'>): HttpError {
  return verdict === 'missing'
    ? httpError(401, 'unauthorized', 'This route needs a bearer token', [
        { field: AUTHORIZATION_FIELD, message: 'must be "Bearer <token>"' },
      ])
    : httpError(401, 'unauthorized', 'The bearer token is not valid', [
        { field: AUTHORIZATION_FIELD, message: 'is not a valid token' },
      ]);
}

export interface BearerAuthOptions extends AccessRules {
  token: string;
  /** Realm of the WWW-Authenticate challenge (the service name). */
  realm: string;
}

/**
 * Requires `Authorization: Bearer <token>` on every route that route-access.ts does not leave open, and
 * documents it: the guarded operations get the bearer security requirement and a 401 answer in the OpenAPI
 * document. A browser's dashboard session (./dashboard-session.ts) counts as the token. Must be installed before
 * the routes are registered.
 */
export function installBearerAuth(app: FastifyInstance, options: BearerAuthOptions): void {
  const expected = sha256(options.token);
  const session = sessionValue(options.token);
  const sessionBytes = Buffer.from(session, 'utf8');
  const realm = options.realm.replace(/["\\]/g, '');

  app.addHook('onRoute', (route) => {
    if (route.schema === undefined || route.schema.hide === true || !needsToken(route.url, options)) return;
    route.schema = {
      ...route.schema,
      security: [{ [BEARER_SCHEME]: [] }],
      response: {
        ...(route.schema.response as Record<string, unknown> | undefined),
        401: {
          ...ref(SCHEMA_IDS.error),
          description: 'Missing or invalid bearer token (see the WWW-Authenticate header).',
        },
      },
    };
  });

  app.addHook('onRequest', (request, reply, done) => {
    if (!needsToken(request.routeOptions.url, options)) {
      done();
      return;
    }
    const verdict = bearerVerdict(request.headers.authorization, expected);
    if (verdict === 'ok' || (verdict === 'missing' && hasSession(request.headers.cookie, sessionBytes))) {
      done();
      return;
    }
    const route = request.routeOptions.url;
    if (route === DASHBOARD_PAGE && request.method === 'GET' && verdict === 'missing') {
      // A browser opening the dashboard: ?token= starts a session; the address bar loses the token at once.
      const token = queryToken(request.query);
      const valid = token !== undefined && timingSafeEqual(sha256(token), expected);
      request.log.debug({ route, signedIn: valid }, valid ? 'dashboard session started' : 'dashboard sign-in refused');
      if (valid) {
        reply.code(303).header('set-cookie', sessionCookie(session)).header('location', 'dashboard').send();
        return;
      }
      reply
        .code(401)
        .header('www-authenticate', `Bearer realm="${realm}"`)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(signInPage(options.realm, token !== undefined));
      return;
    }
    const { status, body } = unauthorized(verdict);
    // the route's template, not the URL: a query may carry a token
    request.log.debug({ status, error: body.error, reason: verdict, route }, 'client error');
    const challenge =
      verdict === 'missing' ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`;
    reply.code(status).header('www-authenticate', challenge).send(body);
  });
}

import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clipText } from '../contract/shown-value.js';
import { httpError, httpErrorForConnection, httpErrorFromThrown } from './error-body.js';

/**
 * Installs the error handler, the not-found/method-not-allowed handler and the JSON-only body parsing on the
 * root instance. Must run before any route is registered (it records the routes' methods).
 * Rule: nothing a client sends yields a 5xx; fastify's own client errors keep their 4xx and get our shape.
 */
export function installErrorHandling(app: FastifyInstance, limits: { bodyLimitBytes: number }): void {
  // fastify parses text/plain by default; the API only speaks JSON, so anything else is 415.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // An unknown method on a known path can fail body parsing before routing gives up (e.g. QUERY without
    // a Content-Type); the useful answer is still 405/404, not the parse error.
    if (request.is404) {
      routeMiss(request, reply);
      return;
    }
    const { status, body } = httpErrorFromThrown(err, limits);
    // A shed request (503 overloaded) is expected under load; a line each would add to the load.
    if (body.error === 'internal_error')
      request.log.error({ err, url: pathOf(request.url), method: request.method }, 'request failed');
    else request.log.debug({ status, error: body.error, url: pathOf(request.url) }, 'client error');
    reply.code(status).send(body);
  });

  // Paths we serve and their methods, so a known path with the wrong method is a 405 with Allow, not a 404.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });

  const routeMiss = (request: FastifyRequest, reply: FastifyReply): void => {
    const path = pathOf(request.url);
    const allowed = methodsByPath.get(path);
    if (allowed !== undefined && !allowed.has(request.method)) {
      const allow = [...allowed].sort().join(', ');
      const { body } = httpError(
        405,
        'method_not_allowed',
        `${request.method} is not allowed on ${path}; allowed: ${allow}`,
      );
      reply.code(405).header('allow', allow).send(body);
      return;
    }
    // The path is the client's (up to Node's 16 KiB header limit): echo a prefix only.
    const { status, body } = httpError(404, 'not_found', `No route ${request.method} ${clipText(path, 200)}`);
    reply.code(status).send(body);
  };
  app.setNotFoundHandler(routeMiss);
}

/** For fastify's `frameworkErrors` option: malformed URLs and the like, answered before routing. */
export function frameworkErrorHandler(limits: { bodyLimitBytes: number }) {
  return (err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    const { status, body } = httpErrorFromThrown(err, limits);
    reply.code(status >= 500 ? 400 : status).send(body);
  };
}

/**
 * For fastify's `clientErrorHandler` option: answers what Node's HTTP parser rejects (a request timeout, a
 * header overflow, garbage) in the side-port's error shape instead of fastify's, then closes the connection.
 */
export function clientErrorHandler(err: ConnectionError, socket: Socket): void {
  // A reset connection is already gone: nothing to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, body } = httpErrorForConnection(err.code);
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

/** A request's path without its query: what logs say of a URL, since a query may carry a token (/dashboard?token=). */
function pathOf(url: string): string {
  return url.split('?')[0] ?? url;
}

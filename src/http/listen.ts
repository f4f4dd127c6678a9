import type { FastifyInstance } from 'fastify';
import type { Logger } from '../observability/logger.js';

export interface ListeningSidePort {
  /** URL to reach it, e.g. http://127.0.0.1:8080 (fastify names a loopback URL even for 0.0.0.0) */
  address: string;
  /** the address actually bound: 127.0.0.1 by default, 0.0.0.0 when every interface listens */
  host: string;
}

function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === '::1' || host.startsWith('::ffff:127.');
}

/**
 * Listens where the configuration says and reports the bound address, so a log shows whether the port is
 * reachable from other machines. Warns when it is and no bearer token guards it.
 */
export async function listenSidePort(
  app: FastifyInstance,
  http: { host: string; port: number; auth: { token: string | null } },
  logger: Logger,
): Promise<ListeningSidePort> {
  const address = await app.listen({ port: http.port, host: http.host });
  const bound = app.server.address();
  const host = typeof bound === 'object' && bound !== null ? bound.address : http.host;
  if (!isLoopback(host) && http.auth.token === null) {
    logger.warn(
      { host },
      'the side-port is reachable from other machines and needs no token: set HTTP_AUTH_TOKEN or HTTP_AUTH_TOKEN_FILE, or restrict access in the network',
    );
  }
  return { address, host };
}

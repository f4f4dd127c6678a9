import type { Server } from 'node:http';
import type { Logger } from '../observability/logger.js';

export interface ConnectionLimits {
  /** Whole request (headers and body) must arrive within this; else 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** Headers must arrive within this (<= requestTimeoutMs). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; a connection over the cap is closed as soon as it is accepted. */
  maxConnections: number;
}

/**
 * Node enforces the request and headers timeouts by sweeping its connections every
 * `connectionsCheckingInterval` (30 s by default), so a stalled request could outlive its timeout by that
 * much. A quarter of the shorter timeout (at most 1 s) keeps the overshoot small; a sweep over at most
 * maxConnections sockets is cheap.
 */
export function connectionsCheckingIntervalMs(
  limits: Pick<ConnectionLimits, 'requestTimeoutMs' | 'headersTimeoutMs'>,
): number {
  return Math.max(10, Math.min(1000, Math.floor(Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs) / 4)));
}

/** The fastify constructor options that set the timeouts (fastify sets requestTimeout and keepAliveTimeout itself). */
export function timeoutServerOptions(limits: ConnectionLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
    },
  };
}

/** Warn at most this often while connections are refused. */
const WARN_EVERY_MS = 10_000;

/** Caps the open connections; Node closes each one over the cap right away ('drop'). */
export function capConnections(server: Server, maxConnections: number, logger: Logger): void {
  server.maxConnections = maxConnections;
  let lastWarnAt = 0;
  let droppedSinceWarn = 0;
  server.on('drop', () => {
    droppedSinceWarn++;
    const now = Date.now();
    if (now - lastWarnAt >= WARN_EVERY_MS) {
      logger.warn({ maxConnections, dropped: droppedSinceWarn }, 'connection cap reached: closing new connections');
      lastWarnAt = now;
      droppedSinceWarn = 0;
    }
  });
}

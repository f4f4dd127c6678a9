import { getHeapStatistics } from 'node:v8';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { OVERLOADED_CODE } from './error-body.js';
import { isShedUnderPressure } from './route-access.js';
import { SCHEMA_IDS, ref } from './schemas.js';

export interface PressureLimits {
  /** Mean event-loop delay over one sample, ms; 0 = no limit. */
  maxEventLoopDelayMs: number;
  /** Heap used as a percentage of V8's heap limit (--max-old-space-size); 0 = no limit. */
  maxHeapUsedPercent: number;
  /** Resident set size, bytes; 0 = no limit. */
  maxRssBytes: number;
  retryAfterSeconds: number;
  /** How often the process is measured. */
  sampleIntervalMs: number;
}

const WHAT_IS_OVER: Readonly<Record<string, string>> = {
  eventLoopDelay: 'event-loop delay',
  heapUsedBytes: 'heap used',
  rssBytes: 'resident memory',
};

/** Warn at most this often while shedding: a line per shed request would add to the load. */
const WARN_EVERY_MS = 10_000;

/**
 * Sheds load with @fastify/under-pressure: while the process is over a limit, every request but the probes
 * and /metrics gets 503 `overloaded` with Retry-After, before its body is read. Documents the 503 on the
 * shed operations. Must be registered before the routes.
 */
export async function registerLoadShedding(app: FastifyInstance, limits: PressureLimits): Promise<void> {
  const maxHeapUsedBytes = Math.floor((getHeapStatistics().heap_size_limit * limits.maxHeapUsedPercent) / 100);
  if (limits.maxEventLoopDelayMs === 0 && maxHeapUsedBytes === 0 && limits.maxRssBytes === 0) return;

  app.addHook('onRoute', (route) => {
    if (route.schema === undefined || route.schema.hide === true || !isShedUnderPressure(route.url)) return;
    route.schema = {
      ...route.schema,
      response: {
        ...(route.schema.response as Record<string, unknown> | undefined),
        503: {
          ...ref(SCHEMA_IDS.error),
          description: 'Overloaded: the request was shed; retry after the Retry-After seconds.',
        },
      },
    };
  });

  let lastWarnAt = 0;
  let shedSinceWarn = 0;
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes,
    maxRssBytes: limits.maxRssBytes,
    sampleInterval: limits.sampleIntervalMs,
    retryAfter: limits.retryAfterSeconds,
    // Called only while over a limit. Resolving lets the request through; rejecting answers it with the error.
    pressureHandler: (request, reply, type, value) => {
      if (!isShedUnderPressure(request.routeOptions.url)) return undefined;
      const what = WHAT_IS_OVER[type] ?? type;
      shedSinceWarn++;
      const now = Date.now();
      if (now - lastWarnAt >= WARN_EVERY_MS) {
        app.log.warn({ over: type, value, shed: shedSinceWarn }, `shedding load: ${what} over its limit`);
        lastWarnAt = now;
        shedSinceWarn = 0;
      }
      reply.header('retry-after', String(limits.retryAfterSeconds));
      const error = Object.assign(
        new Error(`The server is overloaded (${what} over its limit); retry after ${limits.retryAfterSeconds} s`),
        {
          code: OVERLOADED_CODE,
          statusCode: 503,
        },
      );
      return Promise.reject(error);
    },
  });
}

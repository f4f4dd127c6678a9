import type { FastifyInstance } from 'fastify';
import type { HttpMetrics } from '../observability/http-metrics.js';

const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Counts every answered request and observes its latency, labelled by the route TEMPLATE (never the raw URL,
 * which would let clients create unbounded label values).
 */
export function installRequestMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const labels = {
      route: reply.statusCode === 404 && route === '*' ? UNMATCHED_ROUTE : route,
      method: request.method,
      status: reply.statusCode,
    };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}

/** `serve --workers N`: this worker's count of the requests it answered (one pre-bound series, no label hashing). */
export function countWorkerRequests(app: FastifyInstance, answered: { inc(): void }): void {
  app.addHook('onResponse', (_request, _reply, done) => {
    answered.inc();
    done();
  });
}

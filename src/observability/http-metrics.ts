import type { Counter, Histogram, Registry } from 'prom-client';
import { counterIn, histogramIn } from './metrics-registry.js';

export interface HttpMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  duration: Histogram<'route' | 'method' | 'status'>;
}

/**
 * Buckets in seconds, dense below 10 ms because the side-port's target is a p99 of a few milliseconds.
 */
export const HTTP_DURATION_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export function httpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: counterIn(registry, {
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
    }),
    duration: histogramIn(registry, {
      name: 'http_request_duration_seconds',
      help: 'Time from request received to response sent, by route template, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: HTTP_DURATION_BUCKETS_SECONDS,
    }),
  };
}

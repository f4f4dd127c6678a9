import type { MetricsSnapshot } from '../../observability/cluster-metrics.js';

/**
 * What the primary of `serve --workers N` and its workers tell each other over the cluster's IPC channel (JSON).
 * Every kind starts with `churn:` so node:cluster's own messages and prom-client's are never mistaken for ours.
 */
export type WorkerMessage =
  /** the worker's side-port listens (its fastify address and the bound host) */
  | { kind: 'churn:listening'; address: string; host: string }
  /** the worker could not start (bad model, port taken): the line the CLI would print, printed once by the primary */
  | { kind: 'churn:startup-failed'; line: string; stack?: string; exitCode: number }
  /** GET /metrics (text) or the dashboard (json) reached this worker: it asks for the whole server's metrics */
  | { kind: 'churn:metrics-request'; id: number; format: MetricsFormat }
  /** this worker's registry, for the primary's aggregation `id` */
  | { kind: 'churn:metrics-snapshot'; id: number; metrics: MetricsSnapshot };

export type PrimaryMessage =
  /** drain and exit (the primary got SIGTERM or SIGINT, or is giving up) */
  | { kind: 'churn:shutdown'; reason: string }
  /** send your registry for aggregation `id` */
  | { kind: 'churn:snapshot-request'; id: number }
  /** the whole server's metrics for the worker's request `id`, in the format it asked for */
  | { kind: 'churn:metrics-text'; id: number; text: string }
  | { kind: 'churn:metrics-text'; id: number; metrics: MetricsSnapshot }
  | { kind: 'churn:metrics-text'; id: number; error: string };

/** Prometheus text (GET /metrics) or prom-client's JSON snapshot (the dashboard). */
export type MetricsFormat = 'text' | 'json';

function hasKind(value: unknown): value is { kind: string } {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

const WORKER_KINDS = new Set([
  'churn:listening',
  'churn:startup-failed',
  'churn:metrics-request',
  'churn:metrics-snapshot',
]);
const PRIMARY_KINDS = new Set(['churn:shutdown', 'churn:snapshot-request', 'churn:metrics-text']);

/** A message from a worker (the channel carries only what our own processes send; the kind is all we check). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return hasKind(value) && WORKER_KINDS.has(value.kind);
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return hasKind(value) && PRIMARY_KINDS.has(value.kind);
}

import cluster from 'node:cluster';
import { labelWorkerGauges, type MetricsSnapshot } from '../../observability/cluster-metrics.js';
import { isPrimaryMessage, type MetricsFormat, type PrimaryMessage, type WorkerMessage } from './cluster-messages.js';

/** Set by the primary on each worker it forks: the worker's number, 1..N, kept by its replacement after a restart. */
export const WORKER_SLOT_ENV = 'CHURN_HTTP_WORKER';

/** How long a worker's GET /metrics waits for the primary's aggregation. */
const METRICS_TIMEOUT_MS = 5_000;

/**
 * GET /metrics of a side-port that is one of N processes on the same port: buildHttpServer hands over how to read
 * its own registry, and answers with the whole server's metrics (src/http/server.ts, `cluster`).
 */
export interface ClusterWorkerMetrics {
  /** this worker's number (the `worker` label of its gauges and of churn_http_worker_requests_total) */
  readonly worker: string;
  /** how to read this process's registry, brought up to date, when the primary gathers them all */
  contribute(read: () => Promise<MetricsSnapshot>): void;
  /** the whole server's metrics in Prometheus text, aggregated by the primary */
  text(): Promise<string>;
  /** the same, as prom-client's JSON snapshot (the dashboard's figures) */
  snapshot(): Promise<MetricsSnapshot>;
}

/** This process's link to the primary of `serve --workers N`. */
export interface SidePortWorker extends ClusterWorkerMetrics {
  /** tells the primary the side-port listens */
  listening(address: string, host: string): void;
  /** hands the primary the line to print (once for all workers), then exits with `exitCode` */
  startupFailed(report: { line: string; stack?: string | undefined; exitCode: number }): Promise<never>;
  /**
   * Runs `drain` once when the primary says so, or on a SIGTERM sent to this process alone; SIGINT is left to the
   * primary (a Ctrl-C reaches the whole process group, and the primary forwards it as one shutdown).
   */
  onShutdown(drain: (reason: string) => Promise<void>): void;
}

/** The worker's number when this process is a worker of `serve --workers N`; undefined otherwise. */
export function sidePortWorkerSlot(): string | undefined {
  return cluster.isWorker ? process.env[WORKER_SLOT_ENV] : undefined;
}

export function sidePortWorker(worker: string): SidePortWorker {
  const tell = (message: WorkerMessage, then?: () => void): void => {
    if (process.send === undefined || !process.connected) {
      then?.();
      return;
    }
    process.send(message, undefined, undefined, () => then?.());
  };
  let read: () => Promise<MetricsSnapshot> = () => Promise.resolve([]);
  let nextRequest = 0;
  type Answer = { text: string } | { metrics: MetricsSnapshot };
  const pending = new Map<number, { resolve: (answer: Answer) => void; reject: (err: Error) => void }>();
  let drainHandler: ((reason: string) => void) | undefined;

  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    void onPrimaryMessage(message);
  });
  // From the start, not once listening: a Ctrl-C or a process-group SIGTERM during start-up must not look like a
  // crash to the primary. Still starting, there is nothing to drain: exit 0.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => {
    if (drainHandler === undefined) process.exit(0);
    drainHandler('SIGTERM');
  });

  async function onPrimaryMessage(message: PrimaryMessage): Promise<void> {
    switch (message.kind) {
      case 'churn:snapshot-request': {
        const metrics = labelWorkerGauges(await read(), worker);
        tell({ kind: 'churn:metrics-snapshot', id: message.id, metrics });
        return;
      }
      case 'churn:metrics-text': {
        const request = pending.get(message.id);
        pending.delete(message.id);
        if ('error' in message) request?.reject(new Error(`aggregating the workers' metrics: ${message.error}`));
        else request?.resolve(message);
        return;
      }
      case 'churn:shutdown':
        // still starting: nothing to drain yet
        if (drainHandler === undefined) process.exit(0);
        drainHandler(message.reason);
        return;
    }
  }

  /** Asks the primary for the whole server's metrics in `format`; rejects after METRICS_TIMEOUT_MS. */
  function ask(format: MetricsFormat): Promise<Answer> {
    const id = nextRequest++;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not aggregate the workers' metrics within ${METRICS_TIMEOUT_MS} ms`));
      }, METRICS_TIMEOUT_MS);
      pending.set(id, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      tell({ kind: 'churn:metrics-request', id, format });
    });
  }

  return {
    worker,
    contribute(reader) {
      read = reader;
    },
    async text() {
      const answer = await ask('text');
      if (!('text' in answer)) throw new Error('the primary answered the metrics in another format');
      return answer.text;
    },
    async snapshot() {
      const answer = await ask('json');
      if (!('metrics' in answer)) throw new Error('the primary answered the metrics in another format');
      return answer.metrics;
    },
    listening(address, host) {
      tell({ kind: 'churn:listening', address, host });
    },
    startupFailed(report) {
      const message: WorkerMessage = { kind: 'churn:startup-failed', line: report.line, exitCode: report.exitCode };
      if (report.stack !== undefined) message.stack = report.stack;
      return new Promise<never>(() => {
        // without a primary to print it (it died), the line is this process's to print
        if (process.send === undefined || !process.connected) {
          process.stderr.write(`churn-scorer: ${report.line}\n`);
          process.exit(report.exitCode);
        }
        tell(message, () => process.exit(report.exitCode));
      });
    },
    onShutdown(drain) {
      let started = false;
      drainHandler = (reason) => {
        if (started) return;
        started = true;
        void drain(reason);
      };
    },
  };
}

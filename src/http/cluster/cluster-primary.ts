import cluster, { type Worker } from 'node:cluster';
import {
  aggregateSnapshots,
  clusterMetrics,
  cumulativeMetrics,
  type MetricsSnapshot,
} from '../../observability/cluster-metrics.js';
import type { Logger } from '../../observability/logger.js';
import { createMetricsRegistry } from '../../observability/metrics-registry.js';
import { isWorkerMessage, type MetricsFormat, type PrimaryMessage, type WorkerMessage } from './cluster-messages.js';
import { afterUnexpectedExit, DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-policy.js';
import { WORKER_SLOT_ENV } from './cluster-worker.js';

export interface SidePortClusterOptions {
  /** worker processes, >= 2 (one process is `serve` without a cluster) */
  workers: number;
  logger: Logger;
  /** a worker's own drain deadline after SIGTERM; the primary SIGKILLs what is left a second after it */
  closeDeadlineMs: number;
  policy?: RestartPolicy;
  /** how long the primary waits for the workers' registries for one GET /metrics */
  snapshotTimeoutMs?: number;
}

/** How the side-port cluster ended; `failure` is the one line the CLI prints (a start-up failure, a crash loop). */
export interface ClusterOutcome {
  exitCode: number;
  failure?: { line: string; stack?: string };
}

/** After the workers' drain deadline, before the primary kills what is left. */
const KILL_GRACE_MS = 1_000;
const DEFAULT_SNAPSHOT_TIMEOUT_MS = 2_000;

interface Slot {
  worker: Worker;
  listening: boolean;
  /** the worker's start-up failure report, when it sent one before exiting */
  failure?: { line: string; stack?: string; exitCode: number };
}

/**
 * The primary of `serve --workers N` (node:cluster): forks N copies of this command, which share the side-port's
 * listening socket (node:cluster hands the connections out round-robin on Linux), restarts a worker that exits
 * unexpectedly (a log line each; a crash loop or a start-up failure stops them all with one line), drains them all
 * on SIGTERM/SIGINT (a second signal kills them), and answers the workers' GET /metrics with the whole server's
 * metrics. Resolves once every worker has exited. Serves nothing itself.
 */
export function runSidePortCluster(options: SidePortClusterOptions): Promise<ClusterOutcome> {
  const { workers, logger, closeDeadlineMs } = options;
  const policy = options.policy ?? DEFAULT_RESTART_POLICY;
  const snapshotTimeoutMs = options.snapshotTimeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS;
  const registry = createMetricsRegistry({ processMetrics: false });
  const instruments = clusterMetrics(registry);
  const slots = new Map<number, Slot>();
  /** each worker's registry as of the last GET /metrics: what a worker that stops answering still counts for */
  const lastSnapshots = new Map<number, MetricsSnapshot>();
  /** the counters and histograms of the workers that have exited, so the totals never fall */
  let retired: MetricsSnapshot = [];
  const gathering = new Map<number, Gathering>();
  let nextGathering = 0;
  let hasListened = false;
  let announced = false;
  let recentExits: readonly number[] = [];
  let stopping: { exitCode: number; failure?: ClusterOutcome['failure'] } | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  return new Promise<ClusterOutcome>((resolve) => {
    const send = (worker: Worker, message: PrimaryMessage): void => {
      if (!worker.isConnected()) return;
      // A worker that dies as the message goes out fails the write (EPIPE) after isConnected() said yes: with a
      // callback the failure comes here rather than as an 'error' event, and its exit is handled by onExit.
      worker.send(message, (err: Error | null) => {
        if (err !== null)
          logger.debug(
            { err, workerPid: worker.process.pid, kind: message.kind },
            'message to an exiting HTTP worker lost',
          );
      });
    };

    const finishIfEmpty = (): void => {
      if (stopping === undefined || slots.size > 0) return;
      clearTimeout(killTimer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(stopping);
    };

    const stopAll = (reason: string, outcome: NonNullable<typeof stopping>): void => {
      stopping = outcome;
      for (const { worker } of slots.values()) send(worker, { kind: 'churn:shutdown', reason });
      killTimer = setTimeout(() => {
        logger.error(
          { deadlineMs: closeDeadlineMs, workerPids: pidsOf(slots) },
          'HTTP workers still running after the close deadline; killing them',
        );
        if (stopping !== undefined) stopping.exitCode = 1;
        for (const { worker } of slots.values()) worker.process.kill('SIGKILL');
      }, closeDeadlineMs + KILL_GRACE_MS);
      killTimer.unref();
      finishIfEmpty();
    };

    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping !== undefined) {
        process.stderr.write(`churn-scorer: second ${signal}, killing the HTTP workers\n`);
        stopping.exitCode = 1;
        for (const { worker } of slots.values()) worker.process.kill('SIGKILL');
        return;
      }
      logger.info({ signal, workers: slots.size }, 'shutting down: draining the HTTP workers');
      stopAll(`primary got ${signal}`, { exitCode: 0 });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    const answerMetrics = (requester: Worker, id: number, format: MetricsFormat): void => {
      const key = nextGathering++;
      const round: Gathering = { waiting: new Set(), snapshots: new Map(), complete: () => undefined };
      const finish = async (): Promise<void> => {
        if (!gathering.delete(key)) return;
        clearTimeout(timer);
        try {
          const live = [...slots.keys()].flatMap((n) => {
            const snapshot = round.snapshots.get(n) ?? lastSnapshots.get(n);
            return snapshot === undefined ? [] : [snapshot];
          });
          const whole = aggregateSnapshots([...live, retired, await registry.getMetricsAsJSON()]);
          send(
            requester,
            format === 'json'
              ? { kind: 'churn:metrics-text', id, metrics: await whole.getMetricsAsJSON() }
              : { kind: 'churn:metrics-text', id, text: await whole.metrics() },
          );
        } catch (err) {
          send(requester, { kind: 'churn:metrics-text', id, error: err instanceof Error ? err.message : String(err) });
        }
      };
      round.complete = () => void finish();
      gathering.set(key, round);
      for (const [n, slot] of slots) {
        if (!slot.worker.isConnected()) continue;
        round.waiting.add(n);
        send(slot.worker, { kind: 'churn:snapshot-request', id: key });
      }
      // a worker too busy (or dying) to answer in time counts with its last snapshot
      const timer = setTimeout(round.complete, snapshotTimeoutMs);
      if (round.waiting.size === 0) round.complete();
    };

    const onMessage = (n: number, worker: Worker, message: WorkerMessage): void => {
      const slot = slots.get(n);
      if (slot?.worker !== worker) return;
      switch (message.kind) {
        case 'churn:listening': {
          slot.listening = true;
          hasListened = true;
          if (!announced && [...slots.values()].every((s) => s.listening) && slots.size === workers) {
            announced = true;
            logger.info(
              { address: message.address, host: message.host, workers, workerPids: pidsOf(slots) },
              `all ${workers} HTTP workers listening on ${message.address}`,
            );
          }
          return;
        }
        case 'churn:startup-failed': {
          slot.failure = { line: message.line, exitCode: message.exitCode };
          if (message.stack !== undefined) slot.failure.stack = message.stack;
          return;
        }
        case 'churn:metrics-request':
          answerMetrics(worker, message.id, message.format);
          return;
        case 'churn:metrics-snapshot': {
          lastSnapshots.set(n, message.metrics);
          const round = gathering.get(message.id);
          if (round === undefined) return;
          round.snapshots.set(n, message.metrics);
          round.waiting.delete(n);
          if (round.waiting.size === 0) round.complete();
          return;
        }
      }
    };

    const onExit = (n: number, worker: Worker, code: number | null, signal: string | null): void => {
      const slot = slots.get(n);
      if (slot?.worker !== worker) return;
      slots.delete(n);
      const last = lastSnapshots.get(n);
      lastSnapshots.delete(n);
      if (last !== undefined) void retire(last);
      for (const round of gathering.values()) {
        round.waiting.delete(n);
        if (round.waiting.size === 0) round.complete();
      }
      instruments.workers.set(slots.size);
      const how = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
      if (stopping !== undefined) {
        if (code !== 0 && stopping.exitCode === 0) stopping.exitCode = 1;
        finishIfEmpty();
        return;
      }
      const fields = { worker: n, workerPid: worker.process.pid, code, signal };
      if (code === 0 && signal === null) {
        // It drained and exited of its own accord: a SIGTERM to its pid alone, or to the whole process group
        // (systemd's control-group kill) just before the primary's own, which a restart would race with.
        logger.warn({ ...fields, workers: slots.size }, `HTTP worker ${n} was stopped on its own; not restarting it`);
        if (slots.size === 0) stopAll('every worker has stopped', { exitCode: 0 });
        return;
      }
      const decision = afterUnexpectedExit(recentExits, Date.now(), hasListened, policy);
      recentExits = decision.recentExits;
      if (decision.restart) {
        logger.error(fields, `HTTP worker ${n} exited unexpectedly (${how}); restarting it`);
        instruments.restarts.inc();
        fork(n);
        return;
      }
      const line =
        slot.failure?.line ??
        (decision.why === 'start-up'
          ? `HTTP worker ${n} exited during start-up (${how})`
          : `HTTP workers exited unexpectedly ${decision.recentExits.length} times within ${policy.windowMs / 1000} s ` +
            `(last: worker ${n}, ${how})`);
      const failure = slot.failure?.stack === undefined ? { line } : { line, stack: slot.failure.stack };
      stopAll('another worker failed', { exitCode: slot.failure?.exitCode ?? 1, failure });
    };

    const retire = async (snapshot: MetricsSnapshot): Promise<void> => {
      retired = await aggregateSnapshots([retired, cumulativeMetrics(snapshot)]).getMetricsAsJSON();
    };

    const fork = (n: number): void => {
      const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(n) });
      slots.set(n, { worker, listening: false });
      instruments.workers.set(slots.size);
      worker.on('message', (message: unknown) => {
        if (isWorkerMessage(message)) onMessage(n, worker, message);
      });
      worker.on('exit', (code: number | null, signal: string | null) => {
        onExit(n, worker, code, signal);
      });
      // An IPC failure of a worker that is exiting; its exit is what counts (an unhandled 'error' would end the primary).
      worker.on('error', (err: Error) => {
        logger.debug({ err, worker: n, workerPid: worker.process.pid }, 'HTTP worker channel error');
      });
    };

    logger.info({ workers }, `starting ${workers} HTTP worker processes`);
    for (let n = 1; n <= workers; n++) fork(n);
  });
}

/** One GET /metrics: the workers whose registries are still awaited, and those that came. */
interface Gathering {
  waiting: Set<number>;
  snapshots: Map<number, MetricsSnapshot>;
  complete: () => void;
}

function pidsOf(slots: ReadonlyMap<number, Slot>): (number | undefined)[] {
  return [...slots.values()].map((s) => s.worker.process.pid);
}

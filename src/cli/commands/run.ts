import { setFlagsFromString } from 'node:v8';
import { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { buildHttpServer } from '../../http/server.js';
import type { ProbeResult } from '../../http/probes.js';
import { loadModel } from '../../model/index.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import { createMetricsRegistry } from '../../observability/metrics-registry.js';
import { startWorker, type RunningWorker } from '../../stream/worker.js';
import { SCORER_VERSION } from '../../stream/scorer-version.js';
import { listenConfig, withListenOptions, type ListenFlags } from '../options.js';
import { onShutdownSignals } from '../shutdown-signals.js';

export function runCommand(): Command {
  return withListenOptions(
    new Command('run').description('Run the stream worker (customers -> predictions, exactly-once) with the HTTP side-port'),
  ).action(async (flags: ListenFlags) => {
    tuneWorkerHeap();
    const config = listenConfig(flags);
    await runWorker(config, createLogger({ name: config.service.name, level: config.log.level }));
    });
}

/**
 * V8 heap sizing for the worker, set from here so `bin/churn-scorer run` needs no node flags.
 * Under the stream's allocation rate V8 lets the old generation grow to up to 4x its live size
 * before a full GC; the records promoted there are dead after one transaction, so that headroom is
 * RSS that buys no throughput (draining a backlog: ~215-225 MB with V8's default, ~165-175 MB with
 * this, at the same events/s; BENCHMARKS.md, "Worker memory"). V8 reads the flag at each full GC,
 * so setting it after start-up takes effect. The young generation's cap (`--max-semi-space-size=8`)
 * is read only when the heap is created, so the launcher (bin/churn-scorer) sets it; keeping the
 * young generation at 1 MiB semi-spaces (`--semi-space-growth-factor=1`) cost ~20% events/s, so it is not done.
 * A flag the operator already set (node flags or NODE_OPTIONS) is left alone.
 */
const WORKER_HEAP_FLAGS: ReadonlyArray<{ name: string; value: string; overriddenBy: RegExp }> = [
  // collect the old generation when it has doubled over the live size
  { name: 'heap-growing-percent', value: '100', overriddenBy: /heap[-_]growing[-_]percent|optimize[-_]for[-_]size/ },
];

function tuneWorkerHeap(): void {
  const operatorFlags = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  for (const flag of WORKER_HEAP_FLAGS) {
    if (!flag.overriddenBy.test(operatorFlags)) setFlagsFromString(`--${flag.name}=${flag.value}`);
  }
}

export interface ScorerService {
  /** where the side-port listens, e.g. http://127.0.0.1:8080 */
  address: string;
  /** resolves when a consumer fails for good */
  fatal: Promise<Error>;
  /** graceful stop: worker first (finishes the open transactions, leaves the group), then the side-port */
  stop(): Promise<void>;
}

/**
 * Starts the side-port first (so the orchestrator sees /livez and a 503 /readyz with reasons
 * during start-up), then the stream worker. Used by `run` and by `demo`.
 */
export async function startScorerService(config: Config, logger: Logger): Promise<ScorerService> {
  const model = await loadModel(config.model.dir);
  logger.info({ model: { name: model.meta.name, version: model.meta.version, dir: config.model.dir } }, 'model loaded');
  const metrics = createMetricsRegistry();

  let worker: RunningWorker | undefined;
  let draining = false;
  const readiness = (): ProbeResult => {
    if (draining) return { ok: false, reasons: ['shutting down'] };
    if (worker === undefined) return { ok: false, reasons: ['stream worker starting: topics, schemas, group join'] };
    return worker.readiness();
  };
  const liveness = (): ProbeResult => (worker === undefined ? { ok: true, reasons: [] } : worker.liveness());
  const app = await buildHttpServer({ config, model, logger, metrics, readiness, liveness });
  const address = await app.listen({ port: config.http.port, host: config.http.host });
  logger.info({ address }, `side-port listening on ${address}`);

  try {
    worker = await startWorker({ config, model, logger, metrics, scorerVersion: SCORER_VERSION });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const running = worker;
  let stopping: Promise<void> | undefined;
  return {
    address,
    fatal: running.fatal,
    stop: () => {
      stopping ??= (async () => {
        draining = true;
        await running.stop();
        await app.close().catch((err: unknown) => logger.warn({ err }, 'error while closing the side-port'));
      })();
      return stopping;
    },
  };
}

/** `run`: the service until SIGTERM/SIGINT, which stop it within stream.shutdownDeadlineMs. */
export async function runWorker(config: Config, logger: Logger): Promise<void> {
  let service: ScorerService | undefined;
  let stopRequested: string | undefined;
  const shutdown = async (reason: string, exitCode: number) => {
    logger.info({ reason, deadlineMs: config.stream.shutdownDeadlineMs }, 'shutting down');
    const deadline = setTimeout(() => {
      // The open transaction is left to the broker: it aborts at the transaction timeout,
      // or the next owner of the partition fences and aborts it. Nothing is lost.
      logger.error({ deadlineMs: config.stream.shutdownDeadlineMs }, 'shutdown deadline passed; exiting now');
      process.exit(1);
    }, config.stream.shutdownDeadlineMs);
    deadline.unref();
    await service?.stop();
    clearTimeout(deadline);
    logger.info('stopped');
    // Exit explicitly: kafkajs may still hold a restart timer of a consumer that crashed
    // during the shutdown, which would keep the process alive after everything stopped.
    process.exit(exitCode);
  };
  onShutdownSignals(async (signal) => {
    stopRequested = signal;
    await shutdown(signal, 0);
  });
  service = await startScorerService(config, logger);
  // A signal that arrived during start-up found no service to stop: stop it now.
  if (stopRequested !== undefined) await shutdown(stopRequested, 0);
  void service.fatal.then(async (err) => {
    logger.fatal({ err }, 'stream worker failed for good');
    await shutdown('fatal consumer error', 1);
  });
}

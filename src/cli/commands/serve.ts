import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { driftTrackerOf } from '../../app/drift-monitoring.js';
import { rolloutClientsOf } from '../../app/rollout-clients.js';
import { localModel, rolloutFollower, startFollowing, type LocalModel } from '../../app/serving-source.js';
import type { Config } from '../../config/config-schema.js';
import { buildHttpServer } from '../../http/server.js';
import { listenSidePort } from '../../http/listen.js';
import { runSidePortCluster } from '../../http/cluster/cluster-primary.js';
import {
  sidePortWorker,
  sidePortWorkerSlot,
  type ClusterWorkerMetrics,
  type SidePortWorker,
} from '../../http/cluster/cluster-worker.js';
import type { RolloutFollower } from '../../model-registry/rollout-follower.js';
import type { ProbeCheck, ProbeResult } from '../../observability/health.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import { createMetricsRegistry, type Registry } from '../../observability/metrics-registry.js';
import { fixedServingSetSource, singleModelServingSet, type ServingSetSource } from '../../serving/serving-set.js';
import { kafkajsClientSupplier } from '../../stream/kafkajs-client-supplier.js';
import { listenConfig, withListenOptions, type ListenFlags } from '../options.js';
import { fatalReport } from '../fatal-error.js';
import { onShutdownSignals } from '../shutdown-signals.js';

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
const CLOSE_DEADLINE_MS = 10_000;

interface ServeFlags extends ListenFlags {
  followRollout?: boolean;
  workers?: number;
}

/** commander parser for --workers: an integer >= 0 (0 = one per core). */
function parseWorkers(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1024) {
    throw new InvalidArgumentError('must be an integer from 0 to 1024 (0 = one per core)');
  }
  return Number(value);
}

export function serveCommand(): Command {
  return withListenOptions(
    new Command('serve').description(
      'Serve the HTTP side-port only (predict, probes, metrics, OpenAPI); no Kafka unless --follow-rollout',
    ),
  )
    .option(
      '--follow-rollout',
      'serve the rollout in force from the models and rollout topics, as `run` does (default: config ' +
        'model.followRollout / MODEL_FOLLOW_ROLLOUT); without it the local model (--model) serves everyone',
    )
    .option(
      '--workers <n>',
      'processes sharing the side-port (node:cluster); 0 = one per core, 1 = a single process ' +
        '(default: config http.workers / HTTP_WORKERS, 0)',
      parseWorkers,
    )
    .action(async (flags: ServeFlags) => {
      await runServe(flags);
    });
}

async function runServe(flags: ServeFlags): Promise<void> {
  const loaded = listenConfig(flags);
  const config: Config =
    flags.followRollout === true ? { ...loaded, model: { ...loaded.model, followRollout: true } } : loaded;
  const slot = sidePortWorkerSlot();
  if (slot !== undefined) {
    await serveAsClusterWorker(config, sidePortWorker(slot));
    return;
  }
  const configured = flags.workers ?? config.http.workers;
  const workers = configured === 0 ? availableParallelism() : configured;
  if (workers === 1) {
    await serveOneProcess(config);
    return;
  }
  await serveAsClusterPrimary(config, workers);
}

/** The side-port of this process: the whole of `serve --workers 1`, one worker of `serve --workers N`. */
interface SidePort {
  app: FastifyInstance;
  follower: RolloutFollower | undefined;
  logger: Logger;
  /** turns readiness off: from now on /readyz answers 503 'shutting down' */
  drain: () => void;
}

async function startSidePort(config: Config, logger: Logger, cluster?: ClusterWorkerMetrics): Promise<SidePort> {
  const metrics = createMetricsRegistry();
  // Loaded (and the rollout topics read) before the server exists: a bad artifact or an unreachable Kafka stops
  // start-up, and once listening the model in force is ready.
  const local = await localModel(config, undefined, logger);
  const follower = config.model.followRollout ? await followRollout(config, local, logger, metrics) : undefined;
  const serving: ServingSetSource = follower ?? fixedServingSetSource(singleModelServingSet(local.serving));

  let draining = false;
  const notDraining = (): ProbeResult =>
    draining ? { ok: false, reasons: ['shutting down'] } : { ok: true, reasons: [] };
  const readiness: ProbeCheck[] = [notDraining, ...(follower === undefined ? [] : [() => follower.readiness()])];
  // No stream here: drift is counted over what /predict answers, per model version (per worker process).
  const tracker = driftTrackerOf(config, logger);
  const drift = tracker === undefined ? {} : { drift: { tracker, feed: 'predictions' as const } };
  const app = await buildHttpServer({
    config,
    serving,
    logger,
    metrics,
    readiness,
    ...drift,
    ...(cluster === undefined ? {} : { cluster }),
  });
  return {
    app,
    follower,
    logger,
    drain: () => {
      draining = true;
    },
  };
}

/** Closes the side-port within CLOSE_DEADLINE_MS; resolves with the exit code. */
async function closeSidePort({ app, follower, logger, drain }: SidePort, why: Record<string, string>): Promise<number> {
  drain();
  logger.info(why, 'shutting down: closing the HTTP server');
  const deadline = setTimeout(() => {
    logger.error({ deadlineMs: CLOSE_DEADLINE_MS }, 'close deadline passed; exiting with requests in flight');
    process.exit(1);
  }, CLOSE_DEADLINE_MS);
  deadline.unref();
  try {
    await app.close();
    await follower?.stop();
    logger.info('closed');
    return 0;
  } catch (err) {
    logger.error({ err }, 'error while closing');
    return 1;
  } finally {
    clearTimeout(deadline);
  }
}

function serveLogger(config: Config): Logger {
  return createLogger({ name: config.service.name, level: config.log.level, format: config.log.format });
}

/** `serve --workers 1`: one process, no cluster. */
async function serveOneProcess(config: Config): Promise<void> {
  const sidePort = await startSidePort(config, serveLogger(config));
  const { address, host } = await listenSidePort(sidePort.app, config.http, sidePort.logger);
  sidePort.logger.info({ address, host, docs: `${address}/docs` }, `listening on ${address}`);
  onShutdownSignals(async (signal) => {
    process.exitCode = await closeSidePort(sidePort, { signal });
  });
}

/**
 * One worker of `serve --workers N`: the same side-port on the primary's shared socket. A start-up failure is
 * handed to the primary, which prints it once for all workers; the primary says when to drain.
 */
async function serveAsClusterWorker(config: Config, worker: SidePortWorker): Promise<void> {
  const logger = serveLogger(config).child({ worker: Number(worker.worker) });
  let sidePort: SidePort;
  try {
    sidePort = await startSidePort(config, logger, worker);
    const { address, host } = await listenSidePort(sidePort.app, config.http, logger);
    logger.info({ address, host, docs: `${address}/docs` }, `listening on ${address}`);
    worker.listening(address, host);
  } catch (err) {
    return worker.startupFailed(fatalReport(err));
  }
  worker.onShutdown(async (reason) => {
    // the IPC channel to the primary would keep the process alive: exit once closed
    process.exit(await closeSidePort(sidePort, { reason }));
  });
}

/** `serve --workers N` (N >= 2): the primary forks and supervises the workers and serves nothing itself. */
async function serveAsClusterPrimary(config: Config, workers: number): Promise<void> {
  const logger = serveLogger(config).child({ component: 'http-primary' });
  const outcome = await runSidePortCluster({ workers, logger, closeDeadlineMs: CLOSE_DEADLINE_MS });
  if (outcome.failure !== undefined) {
    process.stderr.write(`churn-scorer: ${outcome.failure.line}\n`);
    if (outcome.failure.stack !== undefined) process.stderr.write(`${outcome.failure.stack}\n`);
  } else {
    logger.info({ exitCode: outcome.exitCode }, 'every HTTP worker has exited');
  }
  process.exitCode = outcome.exitCode;
}

/** `serve --follow-rollout`: a rollout follower over kafkajs, read up to the end of both topics. */
async function followRollout(
  config: Config,
  local: LocalModel,
  logger: Logger,
  metrics: Registry,
): Promise<RolloutFollower> {
  const clients = kafkajsClientSupplier(config.kafka, logger);
  const follower = rolloutFollower({
    config,
    clients: rolloutClientsOf(clients, config.stream),
    local,
    logger,
    metrics,
  });
  await startFollowing(follower, clients, config);
  return follower;
}

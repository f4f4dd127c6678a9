import { ConfigError } from '../config/config-error.js';
import { BanditStepper, kafkaBanditClients, type BanditClients } from '../bandit/bandit-stepper.js';
import type { Config } from '../config/config-schema.js';
import { RiskiestCustomers } from '../dashboard/riskiest-customers.js';
import { ExperimentTracker } from '../experiments/experiment-tracker.js';
import { recordingAll } from '../experiments/scored-observation.js';
import { listenSidePort } from '../http/listen.js';
import { createKafka } from '../kafka/client.js';
import { buildHttpServer } from '../http/server.js';
import type { ChurnModel } from '../model/churn-model.js';
import type { RolloutClients } from '../model-registry/rollout-follower.js';
import type { ProbeResult } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import { createMetricsRegistry, type Registry } from '../observability/metrics-registry.js';
import type { JoinedRecorder } from '../outcomes/joined-recorder.js';
import { startOutcomeJoiner, type RunningJoiner } from '../outcomes/outcome-joiner.js';
import { RealizedTracker } from '../outcomes/realized-tracker.js';
import type { KafkaClientSupplier } from '../stream/kafka-client-supplier.js';
import type { ServingSetSource } from '../serving/serving-set.js';
import type { SchemaRegistryConnection } from '../stream/schema-registry-connection.js';
import { SCORER_VERSION } from '../stream/scorer-version.js';
import { startWorker, type RunningWorker } from '../stream/worker.js';
import { driftTrackerOf } from './drift-monitoring.js';
import { rolloutClientsOf } from './rollout-clients.js';
import { localModel, rolloutFollower, startFollowing } from './serving-source.js';

export interface ScorerAppOptions {
  /** the one validated configuration (src/config); each part is handed its slice */
  config: Config;
  /** the stream worker's Kafka clients; `run` and `demo` pass kafkajsClientSupplier */
  clients: KafkaClientSupplier;
  /** `run` and `demo` pass defaultSchemaRegistry(config.registry) */
  registry: SchemaRegistryConnection;
  /** the local model (revision 0's champion); loaded from config.model.dir when not given */
  model?: ChurnModel;
  /** the rollout follower's clients; when not given, rolloutClientsOf(clients) (./rollout-clients.ts) */
  rolloutClients?: RolloutClients;
  logger: Logger;
  /** the registry /metrics exposes; a new one (with process metrics) when not given */
  metrics?: Registry;
  /** the bandit stepper's clients (with config.outcomes.join); when not given, kafkajs ones (src/bandit) */
  banditClients?: BanditClients;
  /**
   * told what each committed transaction of the outcome join wrote (with config.outcomes.join); the realized
   * performance tracker behind /experiments when not given
   */
  joinedRecorder?: JoinedRecorder;
  /**
   * false: no stream worker, the outcome join alone (with its realized performance and bandit steps) behind the
   * side-port, `join`'s process; the scoring runs elsewhere (`run` with OUTCOME_JOIN=false). Default true.
   */
  scoring?: boolean;
}

/** The running service: the rollout follower, the stream worker and its HTTP side-port. */
export interface ScorerApp {
  /** where the side-port listens, e.g. http://127.0.0.1:8080 */
  readonly address: string;
  /** what /readyz answers: not ready while starting and while stopping, then the follower's and worker's state */
  readiness(): ProbeResult;
  /** what /livez answers: fails when an owned partition is stuck */
  liveness(): ProbeResult;
  /** resolves when the worker fails for good: the process should exit */
  readonly fatal: Promise<Error>;
  /** the serving set in force (the rollout follower's): what the next transaction and /predict use */
  readonly serving: ServingSetSource;
  /** graceful stop: the worker first (finishes the open transactions, leaves its groups), the follower, the side-port */
  stop(): Promise<void>;
}

/**
 * The composition root of the service: builds it from the configuration and the clients it is handed. The
 * side-port listens first, so an orchestrator sees /livez and a 503 /readyz with reasons during start-up; then the
 * rollout follower reads the models and rollout topics up to their end, so the worker's first transaction already
 * uses the rollout in force; then the stream worker starts. Anything failing to start closes the side-port again.
 */
export async function startScorerApp(options: ScorerAppOptions): Promise<ScorerApp> {
  const { config, logger } = options;
  const scoring = options.scoring ?? true;
  if (!scoring && !config.outcomes.join)
    throw new ConfigError([
      { key: 'outcomes.join', message: 'a join-only process (`join`) needs the outcome join on (OUTCOME_JOIN=true)' },
    ]);
  const local = await localModel(config, options.model, logger);
  const metrics = options.metrics ?? createMetricsRegistry();
  const follower = rolloutFollower({
    config,
    clients: options.rolloutClients ?? rolloutClientsOf(options.clients, config.stream),
    local,
    logger,
    metrics,
  });
  const experiments = new ExperimentTracker({ serving: follower });
  // The dashboard's riskiest 25%: fed like the comparison, with committed predictions only.
  const { dashboard } = config.http;
  const riskiest =
    scoring && dashboard.enabled && dashboard.customers > 0
      ? new RiskiestCustomers({ capacity: dashboard.customers })
      : undefined;
  const drift = driftTrackerOf(config, logger);
  // Fed by the outcome join (its JoinedRecorder) after each commit; read by GET /experiments and the gauges.
  const realized = config.outcomes.join
    ? new RealizedTracker({ windowRecords: config.outcomes.performanceWindowRecords })
    : undefined;

  let worker: RunningWorker | undefined;
  let joiner: RunningJoiner | undefined;
  let draining = false;
  const readiness = (): ProbeResult => {
    if (draining) return { ok: false, reasons: ['shutting down'] };
    const following = follower.readiness();
    if (worker === undefined && scoring) {
      return {
        ok: false,
        reasons: following.ok ? ['stream worker starting: topics, schemas, group join'] : following.reasons,
      };
    }
    const working = worker?.readiness() ?? { ok: true, reasons: [] };
    const joining =
      joiner?.readiness() ??
      (config.outcomes.join
        ? { ok: false, reasons: ['outcome join starting: topics, schemas, group join'] }
        : { ok: true, reasons: [] });
    return {
      ok: following.ok && working.ok && joining.ok,
      reasons: [...following.reasons, ...working.reasons, ...joining.reasons],
    };
  };
  const liveness = (): ProbeResult => (worker === undefined ? { ok: true, reasons: [] } : worker.liveness());
  const sidePort = await buildHttpServer({
    config,
    serving: follower,
    experiments,
    ...(realized === undefined ? {} : { realized }),
    ...(drift === undefined ? {} : { drift: { tracker: drift, feed: 'stream' as const } }),
    logger,
    metrics,
    readiness,
    liveness,
    dashboard: { role: scoring ? 'run' : 'join', ...(riskiest === undefined ? {} : { riskiest }) },
  });
  const { address, host } = await listenSidePort(sidePort, config.http, logger);
  logger.info({ address, host }, `side-port listening on ${address}`);

  try {
    await startFollowing(follower, options.clients, config);
    worker = scoring
      ? await startWorker({
          config,
          clients: options.clients,
          registry: options.registry,
          serving: follower,
          committed: riskiest === undefined ? experiments : recordingAll([experiments, riskiest]),
          ...(drift === undefined ? {} : { drift }),
          logger,
          metrics,
          scorerVersion: SCORER_VERSION,
        })
      : undefined;
    // The outcome join: a consumer group of its own over what the worker commits (src/outcomes/outcome-joiner.ts).
    const recorder = options.joinedRecorder ?? realized;
    joiner = config.outcomes.join
      ? await startOutcomeJoiner({
          config,
          clients: options.clients,
          registry: options.registry,
          ...(recorder === undefined ? {} : { recorder }),
          logger,
          metrics,
          scorerVersion: SCORER_VERSION,
        })
      : undefined;
  } catch (err) {
    await worker?.stop();
    await follower.stop();
    await sidePort.close().catch(() => undefined);
    throw err;
  }
  const running = worker;
  const joining = joiner;
  // Steps a bandit rollout in force from the joined outcomes; idle (no Kafka call) while none is in force.
  const bandit = config.outcomes.join
    ? new BanditStepper({
        intervalMs: config.outcomes.banditIntervalMs,
        serving: follower,
        clients:
          options.banditClients ??
          kafkaBanditClients({
            // A step fenced by another worker's is expected and skipped; kafkajs' own warnings about it would not be.
            kafka: createKafka(
              config.kafka,
              logger.child({ component: 'kafka' }, { level: config.log.level === 'info' ? 'error' : config.log.level }),
            ),
            config,
            registry: options.registry.client,
            logger,
          }),
        logger,
        metrics,
      })
    : undefined;
  bandit?.start();
  let stopping: Promise<void> | undefined;
  return {
    address,
    readiness,
    liveness,
    fatal: Promise.race([
      ...(running === undefined ? [] : [running.fatal]),
      ...(joining === undefined ? [] : [joining.fatal]),
    ]),
    serving: follower,
    stop: () => {
      stopping ??= (async () => {
        draining = true;
        await Promise.all([running?.stop(), joining?.stop()]);
        await bandit?.stop();
        await follower.stop();
        await sidePort.close().catch((err: unknown) => {
          logger.warn({ err }, 'error while closing the side-port');
        });
      })();
      return stopping;
    },
  };
}

import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { loadDashboardAssets, type DashboardAssets } from '../dashboard/dashboard-assets.js';
import { dashboardView, type DashboardRole } from '../dashboard/dashboard-view.js';
import { MetricSampler } from '../dashboard/metric-sampler.js';
import type { RiskiestView } from '../dashboard/riskiest-customers.js';
import { ExperimentTracker, type ExperimentsSource } from '../experiments/experiment-tracker.js';
import { registerDriftMetrics } from '../observability/drift-metrics.js';
import { registerExperimentMetrics } from '../observability/experiment-metrics.js';
import { registerRealizedMetrics } from '../observability/realized-metrics.js';
import type { RealizedSource } from '../outcomes/realized-tracker.js';
import type { Logger } from '../observability/logger.js';
import { httpMetrics } from '../observability/http-metrics.js';
import { churnCounters, predictionMetrics } from '../observability/prediction-metrics.js';
import type { ServingModel, ServingSetSource } from '../serving/serving-set.js';
import { installBearerAuth } from './bearer-auth.js';
import { capConnections, timeoutServerOptions, type ConnectionLimits } from './connection-limits.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './error-handling.js';
import { registerLoadShedding, type PressureLimits } from './load-shedding.js';
import { monitoringSchemas } from './monitoring-schemas.js';
import { monitoringSource, PREDICTIONS_DRIFT_SOURCE, type SidePortDrift } from './monitoring-view.js';
import { dashboardRoutes } from './plugins/dashboard-routes.js';
import { experimentsRoute } from './plugins/experiments-route.js';
import { monitoringRoute } from './plugins/monitoring-route.js';
import { healthRoutes } from './plugins/health-routes.js';
import { metricsRoute } from './plugins/metrics-route.js';
import { modelRoute } from './plugins/model-route.js';
import { openApi } from './plugins/openapi.js';
import { predictRoutes } from './plugins/predict-routes.js';
import { runProbeChecks, type ProbeCheck } from '../observability/health.js';
import { countWorkerRequests, installRequestMetrics } from './request-metrics.js';
import type { ClusterWorkerMetrics } from './cluster/cluster-worker.js';
import { workerRequestsCounter } from '../observability/cluster-metrics.js';
import { realizedSchemas } from './realized-schemas.js';
import { sharedSchemas } from './schemas.js';

/** Version of the HTTP contract (paths and bodies), shown in the OpenAPI document. */
export const HTTP_API_VERSION = '1.5.0';

/** The slice of the service configuration the side-port reads (the full Config satisfies it). */
export interface HttpServerConfig {
  service: { name: string };
  http: ConnectionLimits & {
    bodyLimitBytes: number;
    batchMax: number;
    pressure: PressureLimits;
    /** token: null = no auth (loadConfig has already read tokenFile into token). */
    auth: { token: string | null; protectMetrics: boolean };
    dashboard: { enabled: boolean };
  };
}

/** What the dashboard shows beyond the metrics (with config.http.dashboard.enabled). */
export interface SidePortDashboard {
  /** the command whose side-port this is */
  readonly role: DashboardRole;
  /** the latest committed prediction per customer (`run`); none: no riskiest-25% panel */
  readonly riskiest?: { view(limit: number): RiskiestView };
  /** the page and its files; read from disk when not given */
  readonly assets?: DashboardAssets;
}

export interface HttpServerOptions {
  config: HttpServerConfig;
  /**
   * The rollout in force and its models (src/serving/serving-set.ts), read per request: a follower swapping it
   * changes what /predict and /model answer from the next request on. `serve` without a rollout passes
   * fixedServingSetSource(singleModelServingSet(...)).
   */
  serving: ServingSetSource;
  /**
   * The stream's comparison of variants and shadows (an ExperimentTracker the worker feeds): GET /experiments
   * and the churn_experiment_* / churn_shadow_* gauges read it. Without it (`serve`: no stream) GET
   * /experiments shows the rollout with no comparison, and there are no such gauges.
   */
  experiments?: ExperimentsSource;
  /**
   * Realized performance per model version and variant (src/outcomes/realized-tracker.ts, fed by the outcome join):
   * GET /experiments' `realized` section and the churn_realized_* gauges read it. Without it (`serve`, or
   * outcomes.join false) `realized` is null and there are no such gauges.
   */
  realized?: RealizedSource;
  /**
   * Online drift (src/monitoring; none when monitoring.enabled is false): GET /monitoring and the churn_feature_*,
   * churn_score_psi and churn_drift gauges read the tracker. `feed: 'stream'` (`run`): the worker counts its live
   * partitions; `feed: 'predictions'` (`serve`, no stream): /predict and /predict/batch count what they answer.
   */
  drift?: SidePortDrift;
  logger: Logger;
  /** The process's metrics registry; the server adds its HTTP and prediction metrics to it. */
  metrics: Registry;
  /** /readyz passes only when every check passes. `serve` loads the model first, so it needs none. */
  readiness?: ProbeCheck | readonly ProbeCheck[];
  /** /livez fails when a check fails (the stream worker reports a stuck consumer here). */
  liveness?: ProbeCheck | readonly ProbeCheck[];
  /**
   * `serve --workers N`: this process is one of N answering on the same port (src/http/cluster). GET /metrics then
   * answers the whole server's metrics, which the primary gathers from every worker, and each worker counts the
   * requests it answers in churn_http_worker_requests_total{worker}. Without it, this process's registry.
   */
  cluster?: ClusterWorkerMetrics;
  /** GET /dashboard's role and panels; `serve` when not given (with config.http.dashboard.enabled) */
  dashboard?: SidePortDashboard;
}

/** The riskiest customers the dashboard's table lists. */
const RISKIEST_ROWS = 20;
/** The dashboard's charts: a sample a second, the last ten minutes, latency percentiles over the last 5 s. */
const SAMPLING = { intervalMs: 1_000, capacity: 600, windowSamples: 5 } as const;
/** `serve --workers N` samples the whole server only while a dashboard is open (each sample asks every worker). */
const CLUSTER_SAMPLING_IDLE_MS = 300_000;

function checks(value: ProbeCheck | readonly ProbeCheck[] | undefined): readonly ProbeCheck[] {
  if (value === undefined) return [];
  return typeof value === 'function' ? [value] : value;
}

// Request bodies are judged by the shared contract inside the handlers (so HTTP, CLI and stream agree);
// route body schemas are for documentation only, so fastify must not run ajv on them.
const acceptAnyBody = () => () => true;

/**
 * Builds the side-port without listening: tests use inject() or listen on port 0, `serve` and the stream
 * worker call listen() themselves. Per-request logging is off (a line per prediction would cost more than
 * the prediction); client errors are logged at debug, server errors at error.
 */
export async function buildHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { config, serving, logger, metrics } = options;
  const limits = { bodyLimitBytes: config.http.bodyLimitBytes };

  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.http.bodyLimitBytes,
    frameworkErrors: frameworkErrorHandler(limits),
    return503OnClosing: true,
    ...timeoutServerOptions(config.http),
    clientErrorHandler,
    // Strip "__proto__"/"constructor" keys instead of rejecting the body: they can only be extra fields,
    // which the contract ignores anyway, and stripping keeps prototype pollution impossible.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
  }) as unknown as FastifyInstance;
  capConnections(app.server, config.http.maxConnections, logger);

  app.setValidatorCompiler(acceptAnyBody);
  for (const schema of [...realizedSchemas(), ...sharedSchemas(config.http.batchMax), ...monitoringSchemas()]) {
    app.addSchema(schema);
  }
  installErrorHandling(app, limits);
  installRequestMetrics(app, httpMetrics(metrics));
  // Shedding runs first: refusing an overloaded request is cheaper than checking its token.
  await registerLoadShedding(app, config.http.pressure);
  const { token, protectMetrics } = config.http.auth;
  if (token !== null) installBearerAuth(app, { token, protectMetrics, realm: config.service.name });

  const predictions = predictionMetrics(metrics);
  // The champion can change under a rollout: churn_model_info names the one in force at each scrape.
  const championInfo = () => {
    const set = serving.current();
    const { meta } = (set.models.get(set.rollout.champion.version) as ServingModel).model;
    predictions.modelInfo.reset();
    predictions.modelInfo.set({ name: meta.name, version: meta.version }, 1);
  };
  championInfo();
  if (options.experiments !== undefined) registerExperimentMetrics(metrics, options.experiments);
  if (options.realized !== undefined) registerRealizedMetrics(metrics, options.realized);
  const monitoring = monitoringSource(options.drift, serving);
  if (options.drift !== undefined) registerDriftMetrics(metrics, monitoring);

  await app.register(openApi, { title: config.service.name, version: HTTP_API_VERSION, bearerAuth: token !== null });
  await app.register(healthRoutes, { liveness: checks(options.liveness), readiness: checks(options.readiness) });
  await app.register(predictRoutes, {
    serving,
    batchMax: config.http.batchMax,
    churnCounters: churnCounters(predictions, 'http'),
    ...(options.drift?.feed === 'predictions'
      ? { drift: options.drift.tracker.windows(PREDICTIONS_DRIFT_SOURCE) }
      : {}),
  });
  await app.register(modelRoute, { serving });
  const experiments = options.experiments ?? sidePortOnlyExperiments(serving);
  await app.register(experimentsRoute, {
    experiments,
    ...(options.realized === undefined ? {} : { realized: options.realized }),
  });
  await app.register(monitoringRoute, { monitoring });
  const { cluster } = options;
  if (cluster !== undefined) {
    cluster.contribute(() => {
      championInfo();
      return metrics.getMetricsAsJSON();
    });
    countWorkerRequests(app, workerRequestsCounter(metrics, cluster.worker));
  }
  await app.register(metricsRoute, {
    registry: metrics,
    beforeScrape: championInfo,
    ...(cluster === undefined ? {} : { text: () => cluster.text() }),
  });
  if (config.http.dashboard.enabled) {
    // the figures of the snapshot /metrics shows: this process's, or the whole `serve --workers N` server's
    const snapshot =
      cluster === undefined
        ? () => {
            championInfo();
            return metrics.getMetricsAsJSON();
          }
        : () => cluster.snapshot();
    const sampler = new MetricSampler({
      read: snapshot,
      ...SAMPLING,
      ...(cluster === undefined ? {} : { idleAfterMs: CLUSTER_SAMPLING_IDLE_MS }),
      onError: (err) => {
        logger.warn({ err }, 'the dashboard could not sample the metrics');
      },
    });
    sampler.start();
    app.addHook('onClose', (_instance, done) => {
      sampler.stop();
      done();
    });
    const dashboard = options.dashboard ?? { role: 'serve' };
    const readinessChecks = checks(options.readiness);
    const startedAt = Date.now();
    await app.register(dashboardRoutes, {
      service: config.service.name,
      role: dashboard.role,
      assets: dashboard.assets ?? loadDashboardAssets(),
      view: async () =>
        dashboardView({
          service: config.service.name,
          role: dashboard.role,
          now: Date.now(),
          startedAt,
          readiness: await runProbeChecks(readinessChecks),
          set: serving.current(),
          metrics: await snapshot(),
          history: sampler.series(),
          riskiest: dashboard.riskiest?.view(RISKIEST_ROWS) ?? null,
          experiments: experiments.summary(),
          realized: options.realized?.view() ?? null,
          monitoring: monitoring.view(),
        }),
    });
  }
  return app;
}

/** GET /experiments of a side-port no stream feeds (`serve`): the rollout in force, no comparison. */
function sidePortOnlyExperiments(serving: ServingSetSource): ExperimentsSource {
  const unfed = new ExperimentTracker({ serving });
  const note =
    'This process runs no stream worker: comparisons come from the predictions the stream commits. Ask a ' +
    '`churn-scorer run` worker, or run `churn-scorer experiment report`.';
  return { summary: () => ({ ...unfed.summary(), note }) };
}

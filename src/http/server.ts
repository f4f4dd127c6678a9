import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { createValidationRules } from '../contract/customer.js';
import type { ChurnModel } from '../model/index.js';
import type { Logger } from '../observability/logger.js';
import { httpMetrics } from '../observability/http-metrics.js';
import { churnCounters, predictionMetrics, recordModelInfo } from '../observability/prediction-metrics.js';
import { installBearerAuth } from './bearer-auth.js';
import { capConnections, timeoutServerOptions, type ConnectionLimits } from './connection-limits.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './error-handling.js';
import { registerLoadShedding, type PressureLimits } from './load-shedding.js';
import { healthRoutes } from './plugins/health-routes.js';
import { metricsRoute } from './plugins/metrics-route.js';
import { modelRoute } from './plugins/model-route.js';
import { openApi } from './plugins/openapi.js';
import { predictRoutes } from './plugins/predict-routes.js';
import type { ProbeCheck } from '../observability/health.js';
import { installRequestMetrics } from './request-metrics.js';
import { sharedSchemas } from './schemas.js';

/** Version of the HTTP contract (paths and bodies), shown in the OpenAPI document. */
export const HTTP_API_VERSION = '1.0.0';

/** The slice of the service configuration the side-port reads (the full Config satisfies it). */
export interface HttpServerConfig {
  service: { name: string };
  http: ConnectionLimits & {
    bodyLimitBytes: number;
    batchMax: number;
    pressure: PressureLimits;
    /** token: null = no auth (loadConfig has already read tokenFile into token). */
    auth: { token: string | null; protectMetrics: boolean };
  };
  model: { strictCategories: boolean };
}

export interface HttpServerOptions {
  config: HttpServerConfig;
  model: ChurnModel;
  logger: Logger;
  /** The process's metrics registry; the server adds its HTTP and prediction metrics to it. */
  metrics: Registry;
  /** /readyz passes only when every check passes. `serve` loads the model first, so it needs none. */
  readiness?: ProbeCheck | readonly ProbeCheck[];
  /** /livez fails when a check fails (the stream worker reports a stuck consumer here). */
  liveness?: ProbeCheck | readonly ProbeCheck[];
}

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
  const { config, model, logger, metrics } = options;
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
  for (const schema of sharedSchemas(config.http.batchMax)) app.addSchema(schema);
  installErrorHandling(app, limits);
  installRequestMetrics(app, httpMetrics(metrics));
  // Shedding runs first: refusing an overloaded request is cheaper than checking its token.
  await registerLoadShedding(app, config.http.pressure);
  const { token, protectMetrics } = config.http.auth;
  if (token !== null) installBearerAuth(app, { token, protectMetrics, realm: config.service.name });

  const predictions = predictionMetrics(metrics);
  recordModelInfo(predictions, model.meta);

  await app.register(openApi, {
    title: config.service.name,
    version: HTTP_API_VERSION,
    modelVersion: model.meta.version,
    bearerAuth: token !== null,
  });
  await app.register(healthRoutes, { liveness: checks(options.liveness), readiness: checks(options.readiness) });
  await app.register(predictRoutes, {
    model,
    rules: createValidationRules({
      categories: model.meta.categories,
      strictCategories: config.model.strictCategories,
    }),
    batchMax: config.http.batchMax,
    churnCounters: churnCounters(predictions, 'http'),
  });
  await app.register(modelRoute, { meta: model.meta });
  await app.register(metricsRoute, { registry: metrics });
  return app;
}

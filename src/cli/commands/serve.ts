import { Command } from 'commander';
import { loadModel } from '../../model/index.js';
import { buildHttpServer } from '../../http/server.js';
import { listenSidePort } from '../../http/listen.js';
import type { ProbeResult } from '../../observability/health.js';
import { createLogger } from '../../observability/logger.js';
import { createMetricsRegistry } from '../../observability/metrics-registry.js';
import { listenConfig, withListenOptions, type ListenFlags } from '../options.js';
import { onShutdownSignals } from '../shutdown-signals.js';

/** How long in-flight requests get to finish after SIGTERM before the process exits anyway. */
const CLOSE_DEADLINE_MS = 10_000;

export function serveCommand(): Command {
  return withListenOptions(
    new Command('serve').description('Serve the HTTP side-port only (predict, probes, metrics, OpenAPI); no Kafka'),
  ).action(async (flags: ListenFlags) => {
    await runServe(flags);
  });
}

async function runServe(flags: ListenFlags): Promise<void> {
  const config = listenConfig(flags);
  const logger = createLogger({ name: config.service.name, level: config.log.level, format: config.log.format });
  // Loaded before the server exists: a bad artifact stops start-up, and once listening the model is ready.
  const model = await loadModel(config.model.dir);
  logger.info({ model: { name: model.meta.name, version: model.meta.version, dir: config.model.dir } }, 'model loaded');

  let draining = false;
  const notDraining = (): ProbeResult =>
    draining ? { ok: false, reasons: ['shutting down'] } : { ok: true, reasons: [] };
  const app = await buildHttpServer({
    config,
    model,
    logger,
    metrics: createMetricsRegistry(),
    readiness: [notDraining],
  });

  const { address, host } = await listenSidePort(app, config.http, logger);
  logger.info({ address, host, docs: `${address}/docs` }, `listening on ${address}`);

  onShutdownSignals(async (signal) => {
    draining = true;
    logger.info({ signal }, 'shutting down: closing the HTTP server');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: CLOSE_DEADLINE_MS }, 'close deadline passed; exiting with requests in flight');
      process.exit(1);
    }, CLOSE_DEADLINE_MS);
    deadline.unref();
    try {
      await app.close();
      logger.info('closed');
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'error while closing');
      process.exitCode = 1;
    } finally {
      clearTimeout(deadline);
    }
  });
}

import { setFlagsFromString } from 'node:v8';
import { Command } from 'commander';
import type { Config } from '../../config/config-schema.js';
import { defaultSchemaRegistry } from '../../app/schema-registry.js';
import { startScorerApp, type ScorerApp, type ScorerAppOptions } from '../../app/scorer-app.js';
import { createLogger } from '../../observability/logger.js';
import { kafkajsClientSupplier } from '../../stream/kafkajs-client-supplier.js';
import { listenConfig, withListenOptions, type ListenFlags } from '../options.js';
import { onShutdownSignals } from '../shutdown-signals.js';

export function runCommand(): Command {
  return withListenOptions(
    new Command('run').description(
      'Run the stream worker (customers -> predictions, exactly-once) with the HTTP side-port',
    ),
  ).action(async (flags: ListenFlags) => {
    tuneWorkerHeap();
    await runFromConfig(listenConfig(flags), { scoring: true });
  });
}

/** `run` and `join`: the service over kafkajs and the default registry, from the validated configuration. */
export async function runFromConfig(config: Config, options: { scoring: boolean }): Promise<void> {
  const logger = createLogger({ name: config.service.name, level: config.log.level, format: config.log.format });
  await runScorerService({
    config,
    clients: kafkajsClientSupplier(config.kafka, logger),
    registry: defaultSchemaRegistry(config.registry),
    logger,
    scoring: options.scoring,
  });
}

/**
 * V8 heap sizing for the worker, set from here so `bin/churn-scorer run` needs no node flags.
 * Under the stream's allocation rate V8 lets the old generation grow to up to 4x its live size
 * before a full GC; the records promoted there are dead after one transaction, so that headroom is
 * RSS that buys no throughput (see BENCHMARKS.md, "5. Worker memory"). V8 reads the flag at each full GC,
 * so setting it after start-up takes effect. The young generation's cap (`--max-semi-space-size=8`)
 * is read only when the heap is created, so the launcher (bin/churn-scorer) sets it; keeping the
 * young generation at 1 MiB semi-spaces (`--semi-space-growth-factor=1`) cost throughput, so it is not
 * done (same section).
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

/**
 * `run`: the service until SIGTERM/SIGINT, which stop it within stream.shutdownDeadlineMs, or until the worker fails
 * for good (exit 1). bench/clients runs the same over another Kafka client.
 */
export async function runScorerService(options: ScorerAppOptions): Promise<void> {
  const { config, logger } = options;
  // Set once started. A signal during start-up finds no service and exits at once: a transaction a consumer
  // may have opened is aborted by the broker or fenced by the partition's next owner, so nothing is lost.
  let service: ScorerApp | undefined = undefined;
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
  onShutdownSignals((signal) => shutdown(signal, 0));
  service = await startScorerApp(options);
  void service.fatal.then(async (err) => {
    logger.fatal({ err }, 'stream worker failed for good');
    await shutdown('fatal consumer error', 1);
  });
}

import { Command, InvalidArgumentError } from 'commander';
import { defaultSchemaRegistry } from '../../app/schema-registry.js';
import { startScorerApp, type ScorerApp } from '../../app/scorer-app.js';
import { createKafka } from '../../kafka/client.js';
import { summarize, type DemoSummary } from '../../demo/demo-summary.js';
import { produceAndCollect, type DemoRunResult } from '../../demo/run-demo.js';
import { loadTelcoCustomers } from '../../demo/telco-events.js';
import { createStderrLogger } from '../../observability/logger.js';
import { kafkajsClientSupplier } from '../../stream/kafkajs-client-supplier.js';
import { createCountProgress, type CountProgress } from '../count-progress.js';
import { localStackRunning, startLocalStack, stopLocalStack } from '../local-stack.js';
import { configWithFlags } from '../options.js';

interface DemoFlags {
  count?: number;
  timeout: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'End to end on the Telco data: local Kafka stack (when KAFKA_BROKERS is unset), worker, all customers in, predictions out, a campaign summary',
    )
    .option('--count <n>', 'score only the first n customers of data/ (default: all 7,043)', positiveInt)
    .option('--timeout <seconds>', 'give up waiting for predictions after this long', positiveInt, 300)
    .action(async (flags: DemoFlags) => {
      await runDemo(flags);
    });
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let startedStack = false;
  if (process.env.KAFKA_BROKERS === undefined || process.env.KAFKA_BROKERS === '') {
    const alreadyUp = await localStackRunning();
    say(
      alreadyUp
        ? 'demo: using the running local stack (.stack/env)'
        : 'demo: KAFKA_BROKERS is not set; starting the local Kafka + schema registry stack (first start downloads Kafka from Maven Central)',
    );
    const env = await startLocalStack();
    startedStack = !alreadyUp;
    process.env.KAFKA_BROKERS = env.KAFKA_BROKERS;
    process.env.SCHEMA_REGISTRY_URL = env.SCHEMA_REGISTRY_URL;
  }

  // Port 0: the demo must not collide with a `run` or `serve` already on the default port.
  const config = configWithFlags({ http: { port: 0, host: '127.0.0.1' } });
  // The worker's own logs are noise next to the progress lines; errors still show.
  const logger = createStderrLogger({ name: config.service.name, level: 'error', format: config.log.format });
  const customers = loadTelcoCustomers().slice(0, flags.count);

  const registry = defaultSchemaRegistry(config.registry);
  let service: ScorerApp | undefined;
  try {
    say(`demo: starting the worker (brokers ${config.kafka.brokers.join(',')}, registry ${registry.url})`);
    service = await startScorerApp({ config, clients: kafkajsClientSupplier(config.kafka, logger), registry, logger });
    say(
      `demo: worker up, side-port ${service.address}; producing ${customers.length} customers to '${config.topics.customers}'`,
    );
    const kafka = createKafka(config.kafka, logger);
    let producedBar: CountProgress | undefined = createCountProgress('produced ', customers.length);
    let receivedBar: CountProgress | undefined;
    const result = await produceAndCollect({
      kafka,
      registry: registry.client,
      topics: config.topics,
      customers,
      timeoutMs: flags.timeout * 1000,
      logger,
      progress: {
        produced: (n) => {
          producedBar?.update(n);
          if (n === customers.length) {
            producedBar?.stop();
            producedBar = undefined;
            receivedBar = createCountProgress('predicted', customers.length);
          }
        },
        received: (n) => receivedBar?.update(n),
      },
    });
    receivedBar?.stop();
    process.stdout.write(report(summarize(result.scored), result, config.topics.predictions));
  } finally {
    await service?.stop();
    if (startedStack) {
      say('demo: stopping the local stack it started');
      await stopLocalStack();
    }
  }
}

function report(summary: DemoSummary, run: DemoRunResult, topic: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const ms = (x: number) => `${Math.round(x)} ms`;
  const lines = [
    '',
    'churn-scorer demo: summary',
    `  events produced         ${run.produced} (in ${(run.produceMs / 1000).toFixed(2)} s)`,
    `  predictions received    ${summary.predictions} from '${topic}' (read_committed; ${run.produced - summary.predictions} missing, ${run.duplicates} duplicates)`,
    `  churn at threshold      ${summary.churned} customers (${pct(summary.churnRate)})`,
    `  riskiest 25% (campaign) ${summary.campaignSize} customers, churn probability >= ${summary.campaignCutoff.toFixed(4)}`,
    `  throughput              ${Math.round((summary.predictions / Math.max(1, run.elapsedMs)) * 1000)} events/s (first event sent -> last prediction received)`,
    `  end-to-end latency      p50 ${ms(summary.latencyMs.p50)}, p95 ${ms(summary.latencyMs.p95)}, p99 ${ms(summary.latencyMs.p99)}, max ${ms(summary.latencyMs.max)} (event_time -> prediction read)`,
    '  top ten by churn probability:',
    ...summary.topTen.map((c, i) => `    ${String(i + 1).padStart(2)}. ${c.customerid}  ${c.probability.toFixed(4)}`),
    '',
  ];
  return lines.join('\n');
}

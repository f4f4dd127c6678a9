import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Kafka } from 'kafkajs';
import { defaultSchemaRegistry } from '../../app/schema-registry.js';
import { startScorerApp, type ScorerApp } from '../../app/scorer-app.js';
import { ConfigError } from '../../config/config-error.js';
import type { Config } from '../../config/index.js';
import { REPO_PATHS } from '../../config/repo-paths.js';
import { createValidationRules } from '../../contract/customer.js';
import { experimentReport } from '../../experiments/experiment-report.js';
import { createKafka } from '../../kafka/client.js';
import { loadModel } from '../../model/index.js';
import {
  summarize,
  variantAgreement,
  variantSplit,
  type DemoSummary,
  type ScoredCustomer,
} from '../../demo/demo-summary.js';
import {
  awaitRevision,
  DEMO_CANDIDATE,
  DEMO_CHAMPION,
  httpVariants,
  publishRepoModel,
  setRollout,
} from '../../demo/rollout-act.js';
import { agreementLine, comparisonLines, publishedLine, rolloutLine, splitLines } from '../../demo/rollout-report.js';
import { produceAndCollect, type DemoRunResult, type ExpectedShadows } from '../../demo/run-demo.js';
import { startLiveTrickle, TRICKLE_INVALID_EVERY } from '../../demo/live-trickle.js';
import { loadTelcoCustomers, type TelcoCustomer } from '../../demo/telco-events.js';
import { outcomesAct } from '../../demo/outcomes-act.js';
import { outcomesActLines } from '../../demo/outcomes-report.js';
import type { OutcomeRule } from '../../outcomes/simulated-outcome.js';
import { simulationLine } from '../../outcomes/simulation-report.js';
import { rolloutOneLine } from '../../model-registry/rollout-summary.js';
import { createStderrLogger, type Logger } from '../../observability/logger.js';
import type { RolloutDocument } from '../../rollout/rollout-document.js';
import type { SchemaRegistryClient } from '../../serde/schema-registry.js';
import type { ServingSet } from '../../serving/serving-set.js';
import { kafkajsClientSupplier } from '../../stream/kafkajs-client-supplier.js';
import { createCountProgress, type CountProgress } from '../count-progress.js';
import { localStackRunning, startLocalStack, stopLocalStack } from '../local-stack.js';
import { configWithFlags } from '../options.js';

interface DemoFlags {
  count?: number;
  timeout: number;
  /** --no-rollout sets it false */
  rollout: boolean;
  /** --no-worker sets it false */
  worker: boolean;
  /** --no-outcomes sets it false */
  outcomes: boolean;
  /** leave the worker (and the stack) running after the summary, with live events flowing, until Ctrl-C */
  keep?: boolean;
  rate: number;
}

/** The outcomes act: a week after the last event, as `simulate outcomes` dates them by default. */
const DEMO_OUTCOME_DELAY_MS = 7 * 86_400_000;
/** A worker without the join never answers: the act says so after this long instead of waiting for nothing. */
const DEMO_FIRST_JOIN_MS = 30_000;
const DEMO_JOIN_TIMEOUT_MS = 120_000;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'End to end on the Telco data: local Kafka stack (when KAFKA_BROKERS is unset), worker, all customers in, ' +
        'predictions out, a campaign summary; then model 1.1.0 shipped on the same worker as a shadow and a 10% canary; ' +
        'then simulated outcomes joined to the predictions and the realized AUC per version',
    )
    .option('--count <n>', 'score only the first n customers of data/ (default: all 7,043)', positiveInt)
    .option('--timeout <seconds>', 'give up waiting for predictions after this long', positiveInt, 300)
    .option('--no-rollout', 'skip the second act (publish 1.0.0 and 1.1.0, shadow, canary)')
    .option(
      '--no-outcomes',
      'skip the third act (outcomes simulated for the scored customers, joined by the worker, realized AUC per version)',
    )
    .option(
      '--keep',
      'after the summary, keep the worker and the stack running with live customer events flowing, and print the ' +
        'dashboard URL, until Ctrl-C (the side-port then listens on PORT, default 8080)',
    )
    .option('--rate <events/s>', 'with --keep, the live events sent a second', positiveInt, 200)
    .option(
      '--no-worker',
      'start no worker: only send the customers and read the predictions, which a `run` worker on the same ' +
        'topics makes (implies --no-rollout and --no-outcomes)',
    )
    .action(async (flags: DemoFlags) => {
      await runDemo(flags);
    });
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let startedStack = false;
  let service: ScorerApp | undefined;
  const stopping = new StopOnSignal(say, async () => {
    await service?.stop();
    if (startedStack) {
      say('demo: stopping the local stack it started');
      await stopLocalStack();
    }
  });
  if (process.env.KAFKA_BROKERS === undefined || process.env.KAFKA_BROKERS === '') {
    const alreadyUp = await localStackRunning();
    say(
      alreadyUp
        ? 'demo: using the running local stack (.stack/env)'
        : 'demo: KAFKA_BROKERS is not set; starting the local Kafka + schema registry stack (first start downloads Kafka from Maven Central)',
    );
    // a Ctrl-C while it starts must stop the half-started stack too
    startedStack = !alreadyUp;
    const env = await startLocalStack();
    process.env.KAFKA_BROKERS = env.KAFKA_BROKERS;
    process.env.SCHEMA_REGISTRY_URL = env.SCHEMA_REGISTRY_URL;
  }

  if (flags.keep === true && !flags.worker)
    throw new ConfigError([{ key: '--keep', message: 'needs the worker (drop --no-worker)' }]);
  // Port 0: the demo must not collide with a `run` or `serve` already on the default port. With --keep someone is
  // to open the dashboard: the configured port (PORT, default 8080), so its address is the one the README gives.
  const config = configWithFlags(
    flags.keep === true ? { http: { host: '127.0.0.1' } } : { http: { port: 0, host: '127.0.0.1' } },
  );
  // The worker's own logs are noise next to the progress lines; errors still show.
  const logger = createStderrLogger({ name: config.service.name, level: 'error', format: config.log.format });
  const customers = loadTelcoCustomers().slice(0, flags.count);

  const registry = defaultSchemaRegistry(config.registry);
  try {
    if (flags.worker) {
      say(`demo: starting the worker (brokers ${config.kafka.brokers.join(',')}, registry ${registry.url})`);
      service = await startScorerApp({
        config,
        clients: kafkajsClientSupplier(config.kafka, logger),
        registry,
        logger,
      });
      say(`demo: worker up, side-port ${service.address}, serving ${servingLine(service.serving.current())}`);
    } else {
      say(`demo: no worker started: a \`run\` worker following '${config.topics.customers}' scores the customers`);
    }
    const kafka = createKafka(config.kafka, logger);
    const send = sender({
      kafka,
      registry: registry.client,
      config,
      customers,
      logger,
      timeoutMs: flags.timeout * 1000,
    });
    say(`demo: producing ${customers.length} customers to '${config.topics.customers}'`);
    const result = await send(undefined);
    process.stdout.write(report(summarize(result.scored), result, config.topics.predictions));
    if (service !== undefined && flags.rollout) {
      await rolloutAct({ config, kafka, service, customers, send, say });
    }
    if (service !== undefined && flags.outcomes) {
      await outcomesActOfDemo({ config, kafka, registry: registry.client, customers, logger, say });
    }
    if (service !== undefined && flags.keep === true) {
      await keepRunning({
        config,
        kafka,
        registry: registry.client,
        customers,
        logger,
        say,
        rate: flags.rate,
        service,
        until: stopping.next(),
      });
    }
  } finally {
    await stopping.cleanUp();
  }
}

/**
 * Ctrl-C (or SIGTERM) in `demo` stops what the demo started, the worker and a local stack it started, then exits 130;
 * a second Ctrl-C exits at once. With `--keep`, the signal awaited by `next()` is the normal end instead.
 */
class StopOnSignal {
  #awaiting: ((signal: NodeJS.Signals) => void) | undefined;
  #cleaning: Promise<void> | undefined;

  constructor(
    say: (line: string) => void,
    private readonly stop: () => Promise<void>,
  ) {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.#awaiting !== undefined) {
        this.#awaiting(signal);
        this.#awaiting = undefined;
        return;
      }
      if (this.#cleaning !== undefined) {
        say(`demo: second ${signal}: exiting now (a stack it started may still run: npm run stack:down)`);
        process.exit(130);
      }
      say(`demo: ${signal}: stopping what it started`);
      void this.cleanUp().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  /** The next signal, as the normal end of the demo (`--keep`). */
  next(): Promise<NodeJS.Signals> {
    return new Promise((resolve) => {
      this.#awaiting = resolve;
    });
  }

  /** Stops what the demo started, once. */
  cleanUp(): Promise<void> {
    this.#cleaning ??= this.stop();
    return this.#cleaning;
  }
}

/** What the demo's acts after the first are handed. */
interface DemoActContext {
  config: Config;
  kafka: Kafka;
  registry: SchemaRegistryClient;
  customers: readonly TelcoCustomer[];
  logger: Logger;
  say: (line: string) => void;
}

/** `--keep`: live events flow to the worker until SIGINT or SIGTERM; the dashboard shows them. */
async function keepRunning(
  options: DemoActContext & {
    rate: number;
    service: ScorerApp;
    /** resolves with the signal that ends the demo */
    until: Promise<NodeJS.Signals>;
  },
): Promise<void> {
  const { config, say, service } = options;
  const trickle = await startLiveTrickle({
    kafka: options.kafka,
    registry: options.registry,
    topic: config.topics.customers,
    customers: options.customers,
    perSecond: options.rate,
    logger: options.logger,
  });
  const auth = config.http.auth.token === null ? '' : '?token=<HTTP_AUTH_TOKEN>';
  say(
    `demo: dashboard at ${service.address}/dashboard${auth} (live: ${options.rate} customer events/s to ` +
      `'${config.topics.customers}', one in ${TRICKLE_INVALID_EVERY} with a tenure the contract refuses, for the dead letters)`,
  );
  say('demo: the worker and the stack keep running; Ctrl-C stops them');
  const signal = await options.until;
  const sent = await trickle.stop();
  say(`demo: ${signal}: sent ${sent} live events; stopping`);
}

type Send = (shadows: ExpectedShadows | undefined) => Promise<DemoRunResult>;

/** Sends every customer once more and waits for its predictions, with the progress bars on stderr. */
function sender(options: {
  kafka: Kafka;
  registry: SchemaRegistryClient;
  config: Config;
  customers: readonly TelcoCustomer[];
  logger: Logger;
  timeoutMs: number;
}): Send {
  const { customers } = options;
  return async (shadows) => {
    let producedBar: CountProgress | undefined = createCountProgress('produced ', customers.length);
    let receivedBar: CountProgress | undefined;
    const result = await produceAndCollect({
      kafka: options.kafka,
      registry: options.registry,
      topics: options.config.topics,
      shadows,
      customers,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
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
    return result;
  };
}

/**
 * The second act, on the same running worker: publish both versions, 1.1.0 as a shadow (compared with the
 * champion on the same events), then as a 10% canary (split by customer, and HTTP agreeing with the stream),
 * then the champion alone again, so a rerun starts where this one did.
 */
async function rolloutAct(options: {
  config: Config;
  kafka: Kafka;
  service: ScorerApp;
  customers: readonly TelcoCustomer[];
  send: Send;
  say: (line: string) => void;
}): Promise<void> {
  const { config, kafka, service, customers, send, say } = options;
  const out = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
  const localVersion = (await loadModel(config.model.dir)).meta.version;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const change = async (document: RolloutDocument): Promise<number> => {
      const set = await setRollout(kafka, admin, config, document, localVersion);
      // From the record's published_at, stamped before it was sent: the time includes the send and the commit.
      const since = set.published ? Date.parse(set.record.published_at) : Date.now();
      const servedAfter = await awaitRevision(service.serving, set.record.revision, since, 30_000);
      out(rolloutLine(set.record, set.published, config.topics.rollout, servedAfter));
      return set.record.revision;
    };

    out('', `churn-scorer demo: shipping model ${DEMO_CANDIDATE} on the same worker (skip with --no-rollout)`);
    for (const version of [DEMO_CHAMPION, DEMO_CANDIDATE]) {
      out(publishedLine(await publishRepoModel(kafka, admin, config, version)));
    }

    const shadowRevision = await change({ champion: DEMO_CHAMPION, shadows: [DEMO_CANDIDATE] });
    say(`demo: producing ${customers.length} customers again (shadow ${DEMO_CANDIDATE})`);
    const shadowed = await send({ topic: config.topics.shadow, perChampionEvent: 1 });
    const shadowReport = experimentReport(shadowed.live, shadowed.shadow, { revision: shadowRevision });
    out(
      `  ${shadowed.live.length} live predictions to '${config.topics.predictions}' (${DEMO_CHAMPION} for everyone), ` +
        `${shadowed.shadow.length} shadow predictions to '${config.topics.shadow}' only, same transactions:`,
      ...comparisonLines(shadowReport),
    );

    const canaryRevision = await change({
      champion: DEMO_CHAMPION,
      challengers: [{ version: DEMO_CANDIDATE, kind: 'canary', weight: 10 }],
    });
    say(`demo: producing ${customers.length} customers again (canary ${DEMO_CANDIDATE} 10%)`);
    const canaried = await send(undefined);
    // One request: up to the side-port's batch limit, and few enough to stay far below its body limit.
    const sample = customers.slice(0, Math.min(config.http.batchMax, 1000));
    const http = await httpVariants(service.address, sample, config.http.auth.token);
    out(
      `  ${canaried.scored.length} customers, split by a murmur3 hash of customerid:`,
      ...splitLines(variantSplit(canaried.scored)),
      agreementLine(variantAgreement(canaried.scored, http)),
    );

    await change({ champion: DEMO_CHAMPION });
    out(
      `  \`bin/churn-scorer experiment report --revision ${shadowRevision}\` (or ${canaryRevision}) recomputes these from the topics;`,
      '  README.md, "Shipping a new model", goes on to A/B, promote and rollback',
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * The third act: outcomes for the customers just scored, from model 1.1.0's probabilities a week after their
 * last event (`simulate outcomes`' defaults), joined by the worker to every version's predictions of them.
 */
async function outcomesActOfDemo(options: DemoActContext): Promise<void> {
  const { config, kafka, customers, say } = options;
  const out = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
  out('', 'churn-scorer demo: outcomes for the customers it scored (skip with --no-outcomes)');
  if (!config.outcomes.join) {
    out('  skipped: the outcome join is off (OUTCOME_JOIN=false)');
    return;
  }
  const truthDir = join(REPO_PATHS.churnModelsDir, DEMO_CANDIDATE);
  const model = await loadModel(truthDir);
  const rule: OutcomeRule = {
    rule: 'probability',
    flipRate: 0,
    share: 1,
    delayMs: DEMO_OUTCOME_DELAY_MS,
    seed: 1,
    offer: null,
    acceptRate: null,
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(config.topics.joined)) {
      out(`  skipped: topic '${config.topics.joined}' does not exist, so no worker joins outcomes on these topics`);
      return;
    }
    say(`demo: simulating outcomes for ${customers.length} customers to '${config.topics.outcomes}'`);
    const result = await outcomesAct({
      kafka,
      admin,
      registry: options.registry,
      config,
      customers,
      truth: { model, rules: createValidationRules({ categories: model.meta.categories, strictCategories: false }) },
      rule,
      logger: options.logger,
      timeoutMs: DEMO_JOIN_TIMEOUT_MS,
      firstAnswerMs: DEMO_FIRST_JOIN_MS,
    });
    if (result === undefined) return;
    out(
      `  ${simulationLine(result.simulation, { rule, truthModel: { dir: truthDir, version: model.meta.version } })}`,
      ...outcomesActLines(result, config.topics.joined, DEMO_FIRST_JOIN_MS),
      `  (outcomes drawn from ${model.meta.version}'s own probabilities: it ranks them about as well as any model can; ` +
        'README.md, "Outcomes and realized performance", goes on to the bandit)',
    );
  } finally {
    await admin.disconnect();
  }
}

function servingLine(set: ServingSet): string {
  const { rollout } = set;
  const document: RolloutDocument = {
    champion: rollout.champion.version,
    challengers: rollout.challengers.map(({ version, kind, weight }) => ({ version, kind, weight })),
    shadows: [...rollout.shadows],
  };
  return `rollout revision ${set.revision} (${rolloutOneLine(document)})`;
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
    ...summary.topTen.map(
      (c, i) =>
        `    ${String(i + 1).padStart(2)}. ${c.customerid}  ${c.probability.toFixed(4)}  ${reasonsText(c.reasons)}`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** "contract=month_to_month +0.67, tenure=1 +0.52, ...": why the model puts a customer on the list (log-odds). */
function reasonsText(reasons: ScoredCustomer['reasons']): string {
  return reasons
    .map(({ feature, value, contribution }) => {
      const name = feature.includes('=') ? feature : `${feature}=${value}`;
      return `${name} ${contribution >= 0 ? '+' : ''}${contribution.toFixed(2)}`;
    })
    .join(', ');
}

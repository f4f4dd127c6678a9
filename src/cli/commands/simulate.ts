import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultSchemaRegistry } from '../../app/schema-registry.js';
import { createValidationRules } from '../../contract/customer.js';
import { REPO_PATHS } from '../../config/repo-paths.js';
import { loadModel, ModelArtifactError } from '../../model/index.js';
import { simulateOutcomes } from '../../outcomes/outcome-simulator.js';
import { TRUTH_RULES, type OutcomeRule, type TruthRule } from '../../outcomes/simulated-outcome.js';
import { simulationJson, simulationLine } from '../../outcomes/simulation-report.js';
import { CliError } from '../fatal-error.js';
import { withKafkaSession } from '../kafka-session.js';
import { configWithFlags } from '../options.js';

interface OutcomesFlags {
  truthModel: string;
  rule: TruthRule;
  flip: number;
  share: number;
  delayMs: number;
  seed: number;
  limit?: number;
  offer?: string;
  acceptRate?: number;
  json?: boolean;
}

/** The ground truth by default: the newer model, so the champion 1.0.0 is judged by a model other than itself. */
const DEFAULT_TRUTH_MODEL = join(REPO_PATHS.churnModelsDir, '1.1.0');
const DEFAULT_DELAY_MS = 7 * 86_400_000;

function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError('must be a number from 0 to 1');
  }
  return n;
}

function nonNegativeInt(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > max) throw new InvalidArgumentError(`must be an integer from 0 to ${max}`);
    return n;
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return n;
}

export function simulateCommand(): Command {
  const simulate = new Command('simulate').description(
    'Simulators for tests and the docs: make the data the real systems around the scorer would',
  );
  simulate.addCommand(
    new Command('outcomes')
      .description(
        'Read the customers topic (read_committed, up to its end now) and write an outcome (CustomerOutcome) for ' +
          "each customer's latest event to the outcomes topic, decided by a ground-truth model: churned ~ " +
          'Bernoulli(its churn probability) or its decision, seeded, with label noise, a share and a delay',
      )
      .option('--truth-model <dir>', 'the ground-truth model directory', DEFAULT_TRUTH_MODEL)
      .addOption(
        new Option('--rule <rule>', "churned ~ Bernoulli(truth probability), or = the truth model's decision")
          .choices(TRUTH_RULES)
          .default('probability'),
      )
      .option('--flip <rate>', 'invert churned for this share of the outcomes (label noise)', rate, 0)
      .option('--share <rate>', 'only this share of the customers gets an outcome', rate, 1)
      .option(
        '--delay-ms <ms>',
        "outcome event_time = the customer's latest event_time + this",
        nonNegativeInt(Number.MAX_SAFE_INTEGER),
        DEFAULT_DELAY_MS,
      )
      .option('--seed <n>', 'the same seed gives every customer the same outcome', nonNegativeInt(2 ** 32 - 1), 1)
      .option('--limit <n>', 'only the first n customers (by the offset of their first event)', positiveInt)
      .option('--offer <name>', 'the retention offer written on every outcome')
      .option('--accept-rate <rate>', 'with --offer: the share of customers who accept it (else: not known)', rate)
      .option('--json', 'print the summary as one JSON document (one line)')
      .action(async (flags: OutcomesFlags) => {
        await runSimulateOutcomes(flags);
      }),
  );
  return simulate;
}

async function runSimulateOutcomes(flags: OutcomesFlags): Promise<void> {
  if (flags.acceptRate !== undefined && flags.offer === undefined) {
    throw new CliError('--accept-rate needs --offer: the share of customers who accept which offer?');
  }
  const config = configWithFlags({});
  // Before Kafka: a bad truth model is one line and nothing written.
  const model = await loadModel(flags.truthModel).catch((err: unknown) => {
    // The generic wording points at MODEL_DIR and --model, which do not choose the truth.
    throw err instanceof ModelArtifactError
      ? new CliError(`cannot load the truth model (--truth-model): ${err.message}`, { cause: err })
      : err;
  });
  const rule: OutcomeRule = {
    rule: flags.rule,
    flipRate: flags.flip,
    share: flags.share,
    delayMs: flags.delayMs,
    seed: flags.seed,
    offer: flags.offer ?? null,
    acceptRate: flags.acceptRate ?? null,
  };
  await withKafkaSession(config, async ({ kafka, admin, logger }) => {
    const summary = await simulateOutcomes(
      { kafka, admin, registry: defaultSchemaRegistry(config.registry).client, topics: config.topics, logger },
      {
        truth: {
          model,
          rules: createValidationRules({ categories: model.meta.categories, strictCategories: false }),
        },
        rule,
        limit: flags.limit,
      },
    );
    const context = { rule, truthModel: { dir: flags.truthModel, version: model.meta.version } };
    process.stdout.write(
      `${flags.json === true ? JSON.stringify(simulationJson(summary, context)) : simulationLine(summary, context)}\n`,
    );
  });
}

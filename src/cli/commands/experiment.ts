import { Command, InvalidArgumentError } from 'commander';
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../../config/config-schema.js';
import { comparisonTables } from '../../experiments/comparison-table.js';
import { experimentReport, type ExperimentReport } from '../../experiments/experiment-report.js';
import { readPublishedPredictions, type PublishedPredictions } from '../../experiments/published-predictions.js';
import type { Logger } from '../../observability/logger.js';
import { readJoinedRecords } from '../../outcomes/joined-records.js';
import { realizedReport, type RealizedReport } from '../../outcomes/realized-report.js';
import { realizedTables } from '../../outcomes/realized-tables.js';
import { AvroDecoder } from '../../serde/avro-decoder.js';
import type { ChurnPrediction, PredictionOutcome } from '../../serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../serde/http-schema-registry.js';
import type { SchemaRegistryClient } from '../../serde/schema-registry.js';
import { churnPredictionSchema, predictionOutcomeSchema } from '../../serde/schema-files.js';
import { CliError } from '../fatal-error.js';
import { withKafkaSession } from '../kafka-session.js';
import { configWithFlags } from '../options.js';

interface ReportFlags {
  revision?: number;
  last?: number;
  json?: boolean;
}

export function experimentCommand(): Command {
  const experiment = new Command('experiment').description(
    'Compare the variants and shadows of a rollout from what the stream published',
  );
  experiment.addCommand(
    new Command('report')
      .description(
        'Read the predictions and shadow topics (read_committed, up to their ends now) and print the comparison ' +
          'of a rollout revision: per variant count, mean score, histogram, churn rate; per shadow against the ' +
          'champion on the same events agreement, mean |dp|, PSI and riskiest-25% overlap; and from the joined ' +
          'outcomes topic, per version and variant, the realized AUC, log-loss, riskiest-25% precision and recall, ' +
          "calibration, and each served version's inverse-propensity reward estimate",
      )
      .option(
        '--revision <n>',
        'rollout revision to compare (default: the highest on the predictions topic)',
        parseRevision,
      )
      .option(
        '--last <n>',
        'realized performance over the last n joins of each version and variant (default: every join)',
        parseLast,
      )
      .option('--json', 'print the report as JSON (variants, shadows and realized as GET /experiments shows them)')
      .action(async (flags: ReportFlags) => {
        await runReport(flags);
      }),
  );
  return experiment;
}

function parseRevision(value: string): number {
  const revision = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(revision)) {
    throw new InvalidArgumentError('must be a rollout revision (an integer from 0)');
  }
  return revision;
}

function parseLast(value: string): number {
  const last = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(last) || last < 1) {
    throw new InvalidArgumentError('must be a number of joins (an integer from 1)');
  }
  return last;
}

async function runReport(flags: ReportFlags): Promise<void> {
  const config = configWithFlags({});
  await withKafkaSession(config, async ({ kafka, admin, logger }) => {
    const topics = [config.topics.predictions, config.topics.shadow];
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw new CliError(
        `topic ${missing.join(' and ')} does not exist: check TOPIC_PREDICTIONS / TOPIC_PREDICTIONS_SHADOW ` +
          '(a running worker creates them)',
      );
    }
    const registry = registryClient(config);
    const decoder = new AvroDecoder<ChurnPrediction>({ registry, readerType: churnPredictionSchema().type });
    const [live, shadow] = await Promise.all(
      topics.map((topic) => readPublishedPredictions(kafka, admin, topic, { decoder, logger })),
    );
    const read = { live: live as PublishedPredictions, shadow: shadow as PublishedPredictions };
    for (const skipped of [...read.live.undecodable, ...read.shadow.undecodable]) {
      logger.warn(`not a ChurnPrediction, left out: ${skipped}`);
    }
    const report = experimentReport(read.live.predictions, read.shadow.predictions, { revision: flags.revision });
    if (flags.revision !== undefined && !report.revisions.includes(flags.revision)) {
      throw new CliError(
        `no live prediction of rollout revision ${flags.revision} on ${read.live.topic}; revisions there: ` +
          (report.revisions.length === 0 ? 'none' : report.revisions.join(', ')),
      );
    }
    const realized = existing.has(config.topics.joined)
      ? await readRealized(kafka, admin, config.topics.joined, { registry, logger, last: flags.last })
      : null;
    process.stdout.write(
      flags.json === true
        ? `${JSON.stringify({ ...report, realized }, null, 2)}\n`
        : reportText(report, read, { realized, joinedTopic: config.topics.joined }),
    );
  });
}

function registryClient(config: Config): SchemaRegistryClient {
  return new CachedSchemaRegistryClient(
    new HttpSchemaRegistryClient({
      url: config.registry.url,
      username: config.registry.username ?? undefined,
      password: config.registry.password ?? undefined,
    }),
  );
}

/** The joined topic (PredictionOutcome records the outcome join wrote), read and recomputed. */
async function readRealized(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  options: { registry: SchemaRegistryClient; logger: Logger; last: number | undefined },
): Promise<RealizedReport> {
  const decoder = new AvroDecoder<PredictionOutcome>({
    registry: options.registry,
    readerType: predictionOutcomeSchema().type,
  });
  const joined = await readJoinedRecords(kafka, admin, topic, { decoder, logger: options.logger });
  for (const skipped of joined.undecodable) options.logger.warn(`not a PredictionOutcome, left out: ${skipped}`);
  return realizedReport(topic, joined.records, { last: options.last });
}

function reportText(
  report: ExperimentReport,
  read: { live: PublishedPredictions; shadow: PublishedPredictions },
  outcomes: { realized: RealizedReport | null; joinedTopic: string },
): string {
  const counted = (r: PublishedPredictions) =>
    `${r.predictions.length} predictions from ${r.topic}` +
    (r.undecodable.length > 0 ? ` (and ${r.undecodable.length} undecodable records)` : '');
  const lines = [
    report.revision === null
      ? 'experiment report: no live predictions yet'
      : `experiment report: rollout revision ${report.revision} (revisions on ${read.live.topic}: ${report.revisions.join(', ')})`,
    `read ${counted(read.live)} and ${counted(read.shadow)}; replays and replay --compare records are left out`,
    '',
    ...comparisonTables(report),
  ];
  if (report.unmatched_shadow_predictions > 0) {
    lines.push(
      '',
      `${report.unmatched_shadow_predictions} shadow predictions of this revision have no live champion prediction of the same event`,
    );
  }
  lines.push(
    '',
    ...(outcomes.realized === null
      ? [
          `realized performance: topic ${outcomes.joinedTopic} does not exist (a worker with OUTCOME_JOIN=true ` +
            'creates it; check TOPIC_PREDICTIONS_OUTCOMES)',
        ]
      : realizedTables(outcomes.realized)),
  );
  return `${lines.join('\n')}\n`;
}

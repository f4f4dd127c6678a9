import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../../config/config-schema.js';
import { comparisonTables } from '../../experiments/comparison-table.js';
import { experimentReport, type ExperimentReport } from '../../experiments/experiment-report.js';
import { readPublishedPredictions, type PublishedPredictions } from '../../experiments/published-predictions.js';
import { createKafka } from '../../kafka/client.js';
import { awaitKafka } from '../../kafka/startup-connect.js';
import { createStderrLogger } from '../../observability/logger.js';
import { AvroDecoder } from '../../serde/avro-decoder.js';
import type { ChurnPrediction } from '../../serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../serde/http-schema-registry.js';
import { churnPredictionSchema } from '../../serde/schema-files.js';
import { CliError } from '../fatal-error.js';
import { configWithFlags } from '../options.js';

interface ReportFlags {
  revision?: number;
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
          'champion on the same events agreement, mean |dp|, PSI and riskiest-25% overlap',
      )
      .option(
        '--revision <n>',
        'rollout revision to compare (default: the highest on the predictions topic)',
        parseRevision,
      )
      .option('--json', 'print the report as JSON (variants and shadows as GET /experiments shows them)')
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

async function runReport(flags: ReportFlags): Promise<void> {
  const config = configWithFlags({});
  const logger = createStderrLogger({
    name: config.service.name,
    level: config.log.level === 'info' ? 'warn' : config.log.level,
    format: config.log.format,
  });
  const kafka = createKafka(config.kafka, logger);
  await awaitKafka(config.kafka, logger, config.service.startupTimeoutMs);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [config.topics.predictions, config.topics.shadow];
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      throw new CliError(
        `topic ${missing.join(' and ')} does not exist: check TOPIC_PREDICTIONS / TOPIC_PREDICTIONS_SHADOW ` +
          '(a running worker creates them)',
      );
    }
    const decoder = predictionDecoder(config);
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
    process.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : reportText(report, read));
  } finally {
    await admin.disconnect();
  }
}

function predictionDecoder(config: Config): AvroDecoder<ChurnPrediction> {
  const registry = new CachedSchemaRegistryClient(
    new HttpSchemaRegistryClient({
      url: config.registry.url,
      username: config.registry.username ?? undefined,
      password: config.registry.password ?? undefined,
    }),
  );
  return new AvroDecoder<ChurnPrediction>({ registry, readerType: churnPredictionSchema().type });
}

function reportText(
  report: ExperimentReport,
  read: { live: PublishedPredictions; shadow: PublishedPredictions },
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
  return `${lines.join('\n')}\n`;
}

import { Command } from 'commander';
import { loadModel } from '../../model/index.js';
import type { PublishedModel } from '../../model-registry/published-models.js';
import { prepareModel, publishPreparedModel, readRegistry } from '../../model-registry/registry-topics.js';
import { formatPercent, rolloutShares, type RolloutShare } from '../../model-registry/rollout-summary.js';
import { configWithFlags, modelOverrides, OFFLINE_SECTIONS } from '../options.js';
import { withRegistry } from '../registry-session.js';

/**
 * `model info`: the artifact metadata as JSON on stdout (same document as GET /model).
 * `model publish <dir>`: a model directory onto the models topic, verified first.
 * `model list`: the versions on the models topic, as every worker verifies them.
 */
export function modelCommand(): Command {
  const model = new Command('model').description('Inspect a model artifact; publish and list model versions on Kafka');
  model
    .command('info')
    .description('Print the model artifact metadata (name, version, metrics, features, training) as JSON')
    .option('--model <dir>', 'model artifact directory (default: config model.dir / MODEL_DIR)')
    .action(async (flags: { model?: string }) => {
      const config = configWithFlags({ model: modelOverrides(flags) }, OFFLINE_SECTIONS);
      const loaded = await loadModel(config.model.dir);
      process.stdout.write(JSON.stringify({ dir: config.model.dir, ...loaded.meta }, null, 2) + '\n');
    });
  model
    .command('publish')
    .description(
      'Publish a model directory (model.json and the first 100 lines of parity.jsonl, with the sha256 of ' +
        'model.json) to the models topic (TOPIC_MODELS), keyed by its version. The package is verified as every ' +
        'worker will verify it before it is sent; a published version never changes.',
    )
    .argument('<dir>', 'model directory, e.g. models/churn/1.1.0')
    .action(async (dir: string) => {
      const config = configWithFlags({});
      // Before Kafka: a broken artifact is refused even when no broker is up.
      const prepared = await prepareModel(dir, new Date().toISOString());
      const published = await withRegistry(config, { ensureTopics: true }, ({ kafka, admin }) =>
        publishPreparedModel(kafka, admin, config, prepared),
      );
      const where = `${published.topic} (partition ${published.partition}, offset ${published.offset})`;
      process.stdout.write(
        published.alreadyPublished
          ? `model ${published.version} is on ${where} already with sha256 ${published.sha256}; nothing sent\n`
          : `published model ${published.version} to ${where}: sha256 ${published.sha256}, ` +
              `${published.parityExamples} parity examples\n`,
      );
    });
  model
    .command('list')
    .description(
      'List the model versions on the models topic: verified or refused (and why), as every worker checks them, ' +
        'and their role in the rollout in force',
    )
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: { json?: boolean }) => {
      const config = configWithFlags({});
      const { models, rollout } = await withRegistry(config, { ensureTopics: false }, ({ kafka, admin }) =>
        readRegistry(kafka, admin, config),
      );
      const roles = new Map<string, RolloutShare>(
        rollout.current === undefined ? [] : rolloutShares(rollout.current.rollout).map((s) => [s.version, s]),
      );
      if (flags.json === true) {
        process.stdout.write(
          `${JSON.stringify(
            models.map((m) => listed(m, roles.get(m.version))),
            null,
            2,
          )}\n`,
        );
        return;
      }
      if (models.length === 0) {
        process.stdout.write(`no model versions on topic ${config.topics.models}\n`);
        return;
      }
      const lines = models.map((m) => {
        const role = roles.get(m.version);
        const status = m.verification.ok ? 'verified' : `refused (${m.verification.reason})`;
        return [
          `  ${m.version}`,
          status,
          `sha256 ${m.sha256?.slice(0, 12) ?? '?'}`,
          `published ${m.published_at ?? '?'}`,
          role === undefined
            ? ''
            : `${role.role}${role.percent === undefined ? '' : ` ${formatPercent(role.percent)}`}`,
          m.verification.ok ? '' : `- ${m.verification.message}`,
        ]
          .filter((part) => part !== '')
          .join('  ');
      });
      const count = `${models.length} model version${models.length === 1 ? '' : 's'}`;
      process.stdout.write(`${count} on topic ${config.topics.models}:\n${lines.join('\n')}\n`);
    });
  return model;
}

function listed(m: PublishedModel, role: RolloutShare | undefined): Record<string, unknown> {
  return {
    version: m.version,
    verified: m.verification.ok,
    ...(m.verification.ok ? {} : { reason: m.verification.reason, message: m.verification.message }),
    sha256: m.sha256 ?? null,
    published_at: m.published_at ?? null,
    offset: m.offset,
    role: role?.role ?? null,
    percent: role?.percent ?? null,
  };
}

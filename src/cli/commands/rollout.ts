import { Command } from 'commander';
import type { Admin } from 'kafkajs';
import {
  banditArms,
  banditDocumentFromFlags,
  DEFAULT_BANDIT_CEILING,
  DEFAULT_BANDIT_FLOOR,
  DEFAULT_BANDIT_REWARD,
  hasBandit,
  sameBanditSetup,
} from '../../bandit/bandit-rollout.js';
import type { Config } from '../../config/index.js';
import { loadModel } from '../../model/index.js';
import { requirePublished } from '../../model-registry/published-models.js';
import { RolloutChangeError } from '../../model-registry/registry-errors.js';
import { changeRollout, readRolloutState, type RolloutChangeResult } from '../../model-registry/registry-topics.js';
import {
  documentFromFlags,
  keepingChallengerOrder,
  nextRolloutRecord,
  promoteDocument,
  rollbackRecord,
  sameRollout,
  type RolloutRecord,
} from '../../model-registry/rollout-record.js';
import { formatPercent, rolloutOneLine, rolloutShares } from '../../model-registry/rollout-summary.js';
import { DEFAULT_ROLLOUT_SALT } from '../../rollout/rollout.js';
import { BANDIT_REWARDS, type RolloutDocument } from '../../rollout/rollout-document.js';
import { CliError } from '../fatal-error.js';
import { configWithFlags } from '../options.js';
import { withRegistry } from '../registry-session.js';

interface SetFlags {
  champion?: string;
  canary?: string[];
  ab?: string[];
  shadow?: string[];
  salt?: string;
  bandit?: string;
  reward?: string;
  floor?: string;
  ceiling?: string;
}

// No default list: commander would print "(default: [])" in the help.
const repeatable = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * `rollout set|show|promote|rollback`: the rollout record on the rollout topic (TOPIC_ROLLOUT), which every
 * `run` worker (and `serve --follow-rollout`) follows. Each change is one new revision.
 */
export function rolloutCommand(): Command {
  const rollout = new Command('rollout').description(
    'Which model versions serve which customers: champion, canary and A/B challengers, shadows (followed by every worker)',
  );
  rollout
    .command('set')
    .description(
      'Publish a new rollout revision. Every version must be published on the models topic (`model publish`) and ' +
        'verify, except that the champion may be the version of the MODEL_DIR model, which every worker has locally. ' +
        'A customer is assigned by a hash of its id, so it keeps its variant while the weights only grow.',
    )
    .option('--champion <version>', 'the version serving every customer no challenger takes (or --bandit)')
    .option('--canary <version=percent>', 'a canary and its share of customers, e.g. 1.1.0=10%; repeatable', repeatable)
    .option('--ab <version=percent>', 'an A/B challenger and its share, e.g. 1.1.0=50%; repeatable', repeatable)
    .option(
      '--shadow <version>',
      'scored on every event beside the model that serves it (to predictions.shadow), serves nobody; repeatable',
      repeatable,
    )
    .option(
      '--salt <salt>',
      `seed of the customers' buckets (default ${DEFAULT_ROLLOUT_SALT}); a new one reshuffles all`,
    )
    .option(
      '--bandit <versions>',
      'a Thompson-sampling bandit over these versions, e.g. 1.0.0,1.1.0 (the first serves as champion; equal ' +
        'weights at first, then every BANDIT_INTERVAL_MS from the joined outcomes); instead of --champion/--canary/--ab',
    )
    .option(
      '--reward <reward>',
      `the bandit's reward: ${BANDIT_REWARDS.join(' or ')} (default ${DEFAULT_BANDIT_REWARD})`,
    )
    .option('--floor <percent>', `the bandit's least share per version (default ${DEFAULT_BANDIT_FLOOR}%)`)
    .option('--ceiling <percent>', `the bandit's largest share per version (default ${DEFAULT_BANDIT_CEILING}%)`)
    .action(async (flags: SetFlags) => {
      const config = configWithFlags({});
      if (flags.bandit !== undefined) {
        await setBandit(config, flags);
        return;
      }
      if (flags.reward !== undefined || flags.floor !== undefined || flags.ceiling !== undefined) {
        throw new CliError('--reward, --floor and --ceiling set a bandit: use them with --bandit VERSION,VERSION');
      }
      if (flags.champion === undefined) {
        throw new CliError(
          'rollout set needs --champion VERSION (with --canary, --ab, --shadow) or --bandit VERSION,VERSION',
        );
      }
      const flagged = documentFromFlags({
        champion: flags.champion,
        canary: flags.canary ?? [],
        ab: flags.ab ?? [],
        shadow: flags.shadow ?? [],
        salt: flags.salt,
      });
      const localVersion = await localModelVersion(config);
      const result = await change(config, (snapshot) => {
        requirePublished(flagged, snapshot.models, { topic: config.topics.models, localVersion });
        const current = snapshot.rollout.current;
        const document = keepingChallengerOrder(flagged, current?.rollout);
        const unchanged =
          current !== undefined && snapshot.rollout.refused.length === 0 && sameRollout(current.rollout, document);
        return unchanged ? undefined : nextRolloutRecord(current, document, new Date().toISOString());
      });
      if (result.published === undefined) {
        const current = result.previous as RolloutRecord;
        process.stdout.write(
          `rollout unchanged: revision ${current.revision} on ${config.topics.rollout} is already ` +
            `${rolloutOneLine(current.rollout)}; nothing published\n`,
        );
        return;
      }
      printPublished(config, result.published, '');
    });
  rollout
    .command('show')
    .description('Print the rollout in force: revision, champion, challengers with their shares, shadows, history')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const config = configWithFlags({});
      const topic = config.topics.rollout;
      const { current, refused } = await withRegistry(config, { ensureTopics: false }, ({ kafka, admin }) =>
        readRolloutState(kafka, admin, config),
      );
      if (flags.json === true) {
        const shown = {
          topic,
          revision: current?.revision ?? 0,
          published_at: current?.published_at ?? null,
          rollout: current?.rollout ?? null,
          shares: current === undefined ? [] : rolloutShares(current.rollout),
          bandit: current !== undefined && hasBandit(current.rollout) ? banditView(config, current.rollout) : null,
          history: current?.history ?? [],
          refused,
        };
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      const lines =
        current === undefined
          ? [`no rollout on ${topic}: every worker serves its MODEL_DIR model as the champion (revision 0)`]
          : [
              `rollout revision ${current.revision} on ${topic}, published ${current.published_at}`,
              ...rolloutShares(current.rollout).map(
                (s) =>
                  `  ${s.role.padEnd(9)} ${s.version}${s.percent === undefined ? '' : `  ${formatPercent(s.percent)}`}`,
              ),
              `  salt      ${current.rollout.salt ?? `${DEFAULT_ROLLOUT_SALT} (default)`}`,
              ...banditLines(config, current.rollout),
              `  history   ${current.history.length} earlier revision${current.history.length === 1 ? '' : 's'}` +
                (current.history[0] === undefined
                  ? ''
                  : `; \`rollout rollback\` restores the rollout of revision ${current.history[0].revision}`),
            ];
      for (const r of refused) {
        lines.push(`  refused   record at offset ${r.offset} (${r.reason}): ${r.message}; the workers ignore it`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  rollout
    .command('promote')
    .description(
      'Make a challenger or shadow of the rollout in force the champion, serving everyone; the old champion leaves ' +
        'the rollout, the other challengers and shadows stay',
    )
    .argument('<version>', 'a challenger or shadow of the rollout in force')
    .action(async (version: string) => {
      const config = configWithFlags({});
      const localVersion = await localModelVersion(config);
      const result = await change(config, (snapshot) => {
        const current = requireCurrent(config, snapshot.rollout.current, 'promote');
        const document = promoteDocument(current.rollout, version);
        requirePublished(document, snapshot.models, { topic: config.topics.models, localVersion });
        return nextRolloutRecord(current, document, new Date().toISOString());
      });
      const was = (result.previous as RolloutRecord).rollout.champion;
      printPublished(config, result.published as RolloutRecord, `${version} promoted to champion (was ${was}): `);
    });
  rollout
    .command('rollback')
    .description(
      'Put the previous rollout back in force as a new revision; the rollout rolled back from leaves the history, ' +
        'so a second rollback goes one step further back',
    )
    .action(async () => {
      const config = configWithFlags({});
      const localVersion = await localModelVersion(config);
      const result = await change(config, (snapshot) => {
        const current = requireCurrent(config, snapshot.rollout.current, 'roll back');
        const record = rollbackRecord(current, new Date().toISOString());
        requirePublished(record.rollout, snapshot.models, { topic: config.topics.models, localVersion });
        return record;
      });
      const from = (result.previous as RolloutRecord).history[0]?.revision;
      printPublished(config, result.published as RolloutRecord, `rolled back to the rollout of revision ${from}: `);
    });
  return rollout;
}

function change(config: Config, compute: Parameters<typeof changeRollout>[3]): Promise<RolloutChangeResult> {
  return withRegistry(config, { ensureTopics: true }, ({ kafka, admin }) =>
    changeRollout(kafka, admin, config, compute),
  );
}

function requireCurrent(config: Config, current: RolloutRecord | undefined, what: string): RolloutRecord {
  if (current === undefined) {
    throw new RolloutChangeError(
      `cannot ${what}: no rollout is published on ${config.topics.rollout} (every worker serves its MODEL_DIR ` +
        'model); publish one with `rollout set --champion <version>`',
    );
  }
  return current;
}

function printPublished(config: Config, record: RolloutRecord, what: string): void {
  process.stdout.write(
    `rollout revision ${record.revision} published to ${config.topics.rollout}: ${what}${rolloutOneLine(record.rollout)}` +
      `${banditSummary(record.rollout)}\n`,
  );
}

/**
 * `rollout set --bandit`: the flags are checked before Kafka is contacted; the bandit counts the joined outcomes
 * from the joined topic's end offsets now, so outcomes of earlier predictions do not count. The same bandit in
 * force already (arms, reward, floor, ceiling, shadows, salt) publishes nothing: its posteriors are kept.
 */
async function setBandit(config: Config, flags: SetFlags): Promise<void> {
  if (flags.champion !== undefined || (flags.canary ?? []).length > 0 || (flags.ab ?? []).length > 0) {
    throw new CliError(
      '--bandit names every serving version (the first serves as champion): leave out --champion, --canary and --ab',
    );
  }
  const bandit = {
    bandit: flags.bandit ?? '',
    reward: flags.reward,
    floor: flags.floor,
    ceiling: flags.ceiling,
    shadow: flags.shadow ?? [],
    salt: flags.salt,
  };
  banditDocumentFromFlags(bandit, {});
  const localVersion = await localModelVersion(config);
  const result = await withRegistry(config, { ensureTopics: true }, async ({ kafka, admin }) => {
    const document = banditDocumentFromFlags(bandit, await joinedEndOffsets(admin, config.topics.joined));
    return changeRollout(kafka, admin, config, (snapshot) => {
      requirePublished(document, snapshot.models, { topic: config.topics.models, localVersion });
      const current = snapshot.rollout.current;
      const unchanged =
        current !== undefined && snapshot.rollout.refused.length === 0 && sameBanditSetup(current.rollout, document);
      return unchanged ? undefined : nextRolloutRecord(current, document, new Date().toISOString());
    });
  });
  if (result.published === undefined) {
    const current = result.previous as RolloutRecord;
    process.stdout.write(
      `rollout unchanged: revision ${current.revision} on ${config.topics.rollout} is this bandit already ` +
        `(${rolloutOneLine(current.rollout)}${banditSummary(current.rollout)}); nothing published\n`,
    );
    return;
  }
  printPublished(config, result.published, '');
}

/** Every partition's end offset of the joined topic now ({} when it does not exist yet: every record counts). */
async function joinedEndOffsets(admin: Admin, topic: string): Promise<Record<string, string>> {
  if (!(await admin.listTopics()).includes(topic)) return {};
  const offsets = await admin.fetchTopicOffsets(topic);
  return Object.fromEntries(offsets.map(({ partition, high }) => [String(partition), high]));
}

/** "; bandit step 3, reward correct-decision, floor 10%, ceiling 90%" */
function banditSummary(document: RolloutDocument): string {
  const { bandit } = document;
  if (bandit === undefined) return '';
  return (
    `; bandit step ${bandit.step}, reward ${bandit.reward}, ` +
    `floor ${formatPercent(bandit.floor)}, ceiling ${formatPercent(bandit.ceiling)}`
  );
}

function banditView(config: Config, document: RolloutDocument & { bandit: NonNullable<RolloutDocument['bandit']> }) {
  const { bandit } = document;
  return {
    step: bandit.step,
    reward: bandit.reward,
    floor: bandit.floor,
    ceiling: bandit.ceiling,
    arms: banditArms(document),
    joined_topic: config.topics.joined,
    read_to: bandit.read_to,
  };
}

function banditLines(config: Config, document: RolloutDocument): string[] {
  if (!hasBandit(document)) return [];
  const { bandit } = document;
  const partitions = Object.entries(bandit.read_to).map(([partition, offset]) => `${partition}:${offset}`);
  const width = Math.max(...bandit.arms.map((arm) => arm.length));
  return [
    `  step      ${bandit.step} (reward ${bandit.reward}, floor ${formatPercent(bandit.floor)}, ` +
      `ceiling ${formatPercent(bandit.ceiling)}, every ${config.outcomes.banditIntervalMs} ms)`,
    ...banditArms(document).map(
      (arm) =>
        `  posterior ${arm.version.padEnd(width)}  Beta(${1 + arm.successes}, ${1 + arm.failures}): ` +
        `${arm.successes} successes, ${arm.failures} failures`,
    ),
    `  read_to   ${partitions.length === 0 ? '(every partition from its beginning)' : partitions.join(' ')} on ` +
      config.topics.joined,
  ];
}

/**
 * The version of the MODEL_DIR model, which every worker loads and may serve as the champion without a
 * published package; undefined when that directory holds no loadable model (the champion must then be published).
 */
async function localModelVersion(config: Config): Promise<string | undefined> {
  try {
    return (await loadModel(config.model.dir)).meta.version;
  } catch {
    return undefined;
  }
}

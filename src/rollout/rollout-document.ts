import { BUCKETS_PER_PERCENT } from './customer-bucket.js';
import type { RolloutProblem } from './rollout-error.js';

/**
 * `canary`: a new model on a small, growing share; `ab`: a share held steady for a comparison; `bandit`: an arm of
 * the document's bandit, whose share the bandit steps move (only with a `bandit` section, never beside the others).
 */
export type ChallengerKind = 'canary' | 'ab' | 'bandit';

export const CHALLENGER_KINDS: readonly ChallengerKind[] = ['canary', 'ab', 'bandit'];

/** The kinds an operator sets by hand; `bandit` challengers come with a bandit section. */
const FIXED_KINDS: readonly ChallengerKind[] = ['canary', 'ab'];

/** A challenger serves `weight` percent of the customers (0-100, in steps of 0.01 %, one bucket). */
export interface ChallengerDocument {
  readonly version: string;
  readonly kind: ChallengerKind;
  readonly weight: number;
}

/**
 * The binary reward a bandit learns from, per joined outcome (src/bandit/README.md): `correct-decision`, the
 * prediction's decision equals the outcome; `caught-churner`, a churner the prediction called churn (1) or missed
 * (0), non-churners carrying no reward.
 */
export type BanditReward = 'correct-decision' | 'caught-churner';

export const BANDIT_REWARDS: readonly BanditReward[] = ['correct-decision', 'caught-churner'];

/** An arm's Beta posterior is Beta(1 + successes, 1 + failures): rewards 1 and 0 counted so far. */
export interface ArmPosterior {
  readonly version: string;
  readonly successes: number;
  readonly failures: number;
}

/**
 * A Thompson-sampling bandit over the serving versions (src/bandit): `arms[0]` is the champion, the other arms are
 * the challengers of kind `bandit`, in the same order; each arm serves between `floor` and `ceiling` percent.
 * `posteriors` (one per arm, in arm order) and `read_to` (per partition of the joined topic, the next offset to
 * read, as a decimal string) are where the steps left off; `step` counts them.
 */
export interface BanditDocument {
  readonly arms: readonly string[];
  readonly reward: BanditReward;
  readonly floor: number;
  readonly ceiling: number;
  readonly posteriors: readonly ArmPosterior[];
  readonly read_to: Readonly<Record<string, string>>;
  readonly step: number;
}

/**
 * A rollout as an operator writes it (JSON): the champion serves every customer no challenger takes;
 * shadows are scored on the side and never serve. Versions are model versions (models/churn/<version>).
 * `salt` seeds the customers' buckets; a new salt reshuffles every customer. `bandit` makes the serving
 * versions the arms of a bandit that moves their weights.
 */
export interface RolloutDocument {
  readonly champion: string;
  readonly challengers?: readonly ChallengerDocument[];
  readonly shadows?: readonly string[];
  readonly salt?: string;
  readonly bandit?: BanditDocument;
}

const DOCUMENT_KEYS = ['champion', 'challengers', 'shadows', 'salt', 'bandit'] as const;
const CHALLENGER_KEYS = ['version', 'kind', 'weight'] as const;
const BANDIT_KEYS = ['arms', 'reward', 'floor', 'ceiling', 'posteriors', 'read_to', 'step'] as const;
const POSTERIOR_KEYS = ['version', 'successes', 'failures'] as const;

/**
 * Every problem of a rollout document (pure): its shape (keys, types, weights 0-100 in 0.01 steps), then
 * the rules between fields: challenger weights add up to at most 100, and every version appears once (the
 * champion is no challenger; a shadow neither serves nor repeats). Empty when the document is valid.
 */
export function rolloutProblems(input: unknown): RolloutProblem[] {
  if (!isRecord(input)) return [{ field: '(rollout)', message: `must be an object, got ${shown(input)}` }];
  const problems: RolloutProblem[] = [];
  checkKeys(input, DOCUMENT_KEYS, '', problems);
  const champion = checkVersion(input['champion'], 'champion', problems);
  const hasBandit = input['bandit'] !== undefined;
  const challengers = checkChallengers(input['challengers'], hasBandit, problems);
  const shadows = checkShadows(input['shadows'], problems);
  const salt = input['salt'];
  if (salt !== undefined && (typeof salt !== 'string' || salt === '')) {
    problems.push({ field: 'salt', message: `must be a non-empty string, got ${shown(salt)}` });
  }
  checkWeightSum(challengers, problems);
  checkEachVersionOnce(champion, challengers, shadows, problems);
  if (hasBandit) checkBandit(input['bandit'], { champion, challengers, listed: input['challengers'] }, problems);
  return problems;
}

/** A challenger that passed its own checks, with where it stands in the list. */
interface ListedChallenger extends ChallengerDocument {
  readonly index: number;
}

function checkChallengers(value: unknown, hasBandit: boolean, problems: RolloutProblem[]): ListedChallenger[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ field: 'challengers', message: `must be a list of challengers, got ${shown(value)}` });
    return [];
  }
  const valid: ListedChallenger[] = [];
  value.forEach((item: unknown, index) => {
    const field = `challengers[${index}]`;
    if (!isRecord(item)) {
      problems.push({ field, message: `must be an object {version, kind, weight}, got ${shown(item)}` });
      return;
    }
    const before = problems.length;
    checkKeys(item, CHALLENGER_KEYS, `${field}.`, problems);
    const version = checkVersion(item['version'], `${field}.version`, problems);
    const kind = item['kind'];
    const kindProblem = challengerKindProblem(kind, hasBandit);
    if (kindProblem !== undefined) problems.push({ field: `${field}.kind`, message: kindProblem });
    const weight = checkWeight(item['weight'], `${field}.weight`, problems);
    if (problems.length === before && version !== undefined && weight !== undefined) {
      valid.push({ index, version, kind: kind as ChallengerKind, weight });
    }
  });
  return valid;
}

/** A bandit rollout's challengers are its arms; the other kinds never mix with a bandit. */
function challengerKindProblem(kind: unknown, hasBandit: boolean): string | undefined {
  if (hasBandit) {
    return kind === 'bandit'
      ? undefined
      : `must be "bandit" in a rollout with a bandit (canary and ab challengers do not mix with one), got ${shown(kind)}`;
  }
  if (kind === 'bandit')
    return 'is "bandit", which needs the bandit section (rollout set --bandit) that names its arms';
  return FIXED_KINDS.some((k) => k === kind)
    ? undefined
    : `must be one of ${FIXED_KINDS.map((k) => `"${k}"`).join(', ')}, got ${shown(kind)}`;
}

function checkWeight(value: unknown, field: string, problems: RolloutProblem[]): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    problems.push({ field, message: `must be a percent from 0 to 100, got ${shown(value)}` });
    return undefined;
  }
  if (Math.abs(value * BUCKETS_PER_PERCENT - Math.round(value * BUCKETS_PER_PERCENT)) > 1e-6) {
    problems.push({ field, message: `must be in steps of 0.01 (one bucket of 10,000), got ${value}` });
    return undefined;
  }
  return value;
}

function checkShadows(value: unknown, problems: RolloutProblem[]): { index: number; version: string }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ field: 'shadows', message: `must be a list of model versions, got ${shown(value)}` });
    return [];
  }
  return value.flatMap((item: unknown, index) => {
    const version = checkVersion(item, `shadows[${index}]`, problems);
    return version === undefined ? [] : [{ index, version }];
  });
}

function checkWeightSum(challengers: readonly ListedChallenger[], problems: RolloutProblem[]): void {
  // In whole buckets, so 33.33 + 33.33 + 33.34 is 100 exactly.
  const buckets = challengers.reduce((sum, c) => sum + Math.round(c.weight * BUCKETS_PER_PERCENT), 0);
  if (buckets > 100 * BUCKETS_PER_PERCENT) {
    problems.push({
      field: 'challengers',
      message: `weights add up to ${buckets / BUCKETS_PER_PERCENT}%; the challengers together take at most 100%`,
    });
  }
}

/** The champion is no challenger; no version is two challengers; a shadow is neither serving nor listed twice. */
function checkEachVersionOnce(
  champion: string | undefined,
  challengers: readonly ListedChallenger[],
  shadows: readonly { index: number; version: string }[],
  problems: RolloutProblem[],
): void {
  const serving = new Map<string, string>();
  if (champion !== undefined) serving.set(champion, 'the champion');
  for (const { index, version } of challengers) {
    const field = `challengers[${index}]`;
    const other = serving.get(version);
    if (other !== undefined) {
      problems.push({ field: `${field}.version`, message: `"${version}" is already ${other}; list a version once` });
    } else {
      serving.set(version, field);
    }
  }
  const shadowed = new Map<string, string>();
  for (const { index, version } of shadows) {
    const field = `shadows[${index}]`;
    const servedBy = serving.get(version);
    const listedAs = shadowed.get(version);
    if (servedBy !== undefined) {
      problems.push({
        field,
        message: `"${version}" serves as ${servedBy}; a shadow is a version that does not serve`,
      });
    } else if (listedAs !== undefined) {
      problems.push({ field, message: `"${version}" is already ${listedAs}; list a version once` });
    } else {
      shadowed.set(version, field);
    }
  }
}

/** What the bandit section is checked against. */
interface BanditContext {
  readonly champion: string | undefined;
  /** the challengers that passed their own checks */
  readonly challengers: readonly ListedChallenger[];
  /** `challengers` as written, to tell whether every one of them passed */
  readonly listed: unknown;
}

/**
 * The bandit section: its shape, then that its arms are the serving versions (the champion first, then the
 * challengers of kind "bandit" in their order), that `floor` and `ceiling` leave room for every arm
 * (floor * arms <= 100 <= ceiling * arms) and hold every arm's share, and one posterior per arm.
 */
function checkBandit(value: unknown, context: BanditContext, problems: RolloutProblem[]): void {
  if (!isRecord(value)) {
    problems.push({ field: 'bandit', message: `must be an object {${BANDIT_KEYS.join(', ')}}, got ${shown(value)}` });
    return;
  }
  checkKeys(value, BANDIT_KEYS, 'bandit.', problems);
  const arms = checkArms(value['arms'], context, problems);
  const reward = value['reward'];
  if (!BANDIT_REWARDS.some((r) => r === reward)) {
    problems.push({
      field: 'bandit.reward',
      message: `must be one of ${BANDIT_REWARDS.map((r) => `"${r}"`).join(', ')}, got ${shown(reward)}`,
    });
  }
  const floor = checkWeight(value['floor'], 'bandit.floor', problems);
  const ceiling = checkWeight(value['ceiling'], 'bandit.ceiling', problems);
  if (arms !== undefined && floor !== undefined && ceiling !== undefined) {
    checkBounds(arms, floor, ceiling, context, problems);
  }
  checkPosteriors(value['posteriors'], arms, problems);
  checkReadTo(value['read_to'], problems);
  const step = value['step'];
  if (!isCount(step)) problems.push({ field: 'bandit.step', message: `must be an integer from 0, got ${shown(step)}` });
}

/** The arms when they are valid and are the serving versions, else undefined (with the problems). */
function checkArms(value: unknown, context: BanditContext, problems: RolloutProblem[]): string[] | undefined {
  if (!Array.isArray(value) || value.length < 2) {
    problems.push({
      field: 'bandit.arms',
      message: `must be a list of at least two model versions, got ${shown(value)}`,
    });
    return undefined;
  }
  const before = problems.length;
  const seen = new Map<string, number>();
  const arms = value.map((item: unknown, index) => {
    const version = checkVersion(item, `bandit.arms[${index}]`, problems);
    if (version === undefined) return '';
    const earlier = seen.get(version);
    if (earlier !== undefined) {
      problems.push({
        field: `bandit.arms[${index}]`,
        message: `"${version}" is already bandit.arms[${earlier}]; list a version once`,
      });
    } else {
      seen.set(version, index);
    }
    return version;
  });
  if (problems.length > before) return undefined;
  const { champion, challengers, listed } = context;
  if (champion !== undefined && arms[0] !== champion) {
    problems.push({
      field: 'bandit.arms[0]',
      message: `must be the champion ("${champion}"): the bandit's first arm serves as the champion, got ${shown(arms[0])}`,
    });
    return undefined;
  }
  const allListedPassed = listed === undefined || (Array.isArray(listed) && listed.length === challengers.length);
  if (!allListedPassed) return undefined;
  const others = arms.slice(1);
  const served = challengers.map((c) => c.version);
  if (others.length !== served.length || others.some((version, i) => version !== served[i])) {
    problems.push({
      field: 'challengers',
      message:
        `must be the bandit's arms after the champion, in order, each of kind "bandit": expected ` +
        `${JSON.stringify(others)}, got ${JSON.stringify(served)}`,
    });
    return undefined;
  }
  return arms;
}

/** floor * arms <= 100 <= ceiling * arms, and every arm's share within [floor, ceiling] (in whole buckets). */
function checkBounds(
  arms: readonly string[],
  floor: number,
  ceiling: number,
  context: BanditContext,
  problems: RolloutProblem[],
): void {
  const n = arms.length;
  const floorBuckets = Math.round(floor * BUCKETS_PER_PERCENT);
  const ceilingBuckets = Math.round(ceiling * BUCKETS_PER_PERCENT);
  const all = 100 * BUCKETS_PER_PERCENT;
  const before = problems.length;
  if (floorBuckets > ceilingBuckets) {
    problems.push({ field: 'bandit.floor', message: `must not be above the ceiling (${ceiling}%), got ${floor}` });
  } else if (floorBuckets * n > all) {
    problems.push({
      field: 'bandit.floor',
      message: `${floor}% is too high for ${n} arms: the floors add up to ${percentOf(floorBuckets * n)}%, more than 100%`,
    });
  } else if (ceilingBuckets * n < all) {
    problems.push({
      field: 'bandit.ceiling',
      message: `${ceiling}% is too low for ${n} arms: the ceilings add up to ${percentOf(ceilingBuckets * n)}%, less than 100%`,
    });
  }
  if (problems.length > before) return;
  const outside = (buckets: number) => buckets < floorBuckets || buckets > ceilingBuckets;
  const bounds = `the bandit's floor and ceiling (${floor}% to ${ceiling}%)`;
  const taken = context.challengers.reduce((sum, c) => sum + Math.round(c.weight * BUCKETS_PER_PERCENT), 0);
  if (taken <= all && outside(all - taken)) {
    problems.push({
      field: 'champion',
      message: `serves ${percentOf(all - taken)}% (what the bandit's other arms leave), outside ${bounds}`,
    });
  }
  for (const { index, weight } of context.challengers) {
    if (outside(Math.round(weight * BUCKETS_PER_PERCENT))) {
      problems.push({ field: `challengers[${index}].weight`, message: `is outside ${bounds}, got ${weight}` });
    }
  }
}

function checkPosteriors(value: unknown, arms: readonly string[] | undefined, problems: RolloutProblem[]): void {
  if (!Array.isArray(value)) {
    problems.push({
      field: 'bandit.posteriors',
      message: `must be a list of {${POSTERIOR_KEYS.join(', ')}}, one per arm, got ${shown(value)}`,
    });
    return;
  }
  if (arms !== undefined && value.length !== arms.length) {
    problems.push({
      field: 'bandit.posteriors',
      message: `must hold one posterior per arm, in arm order (${arms.length}), got ${value.length}`,
    });
    return;
  }
  value.forEach((item: unknown, index) => {
    const field = `bandit.posteriors[${index}]`;
    if (!isRecord(item)) {
      problems.push({ field, message: `must be an object {${POSTERIOR_KEYS.join(', ')}}, got ${shown(item)}` });
      return;
    }
    checkKeys(item, POSTERIOR_KEYS, `${field}.`, problems);
    const arm = arms?.[index];
    if (arm === undefined) {
      checkVersion(item['version'], `${field}.version`, problems);
    } else if (item['version'] !== arm) {
      problems.push({
        field: `${field}.version`,
        message: `must be the version of bandit.arms[${index}] ("${arm}"), got ${shown(item['version'])}`,
      });
    }
    for (const key of ['successes', 'failures'] as const) {
      if (!isCount(item[key])) {
        problems.push({
          field: `${field}.${key}`,
          message: `must be a count (an integer from 0), got ${shown(item[key])}`,
        });
      }
    }
  });
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_OFFSET = 2n ** 63n - 1n;

function checkReadTo(value: unknown, problems: RolloutProblem[]): void {
  if (!isRecord(value)) {
    problems.push({
      field: 'bandit.read_to',
      message: `must be an object {partition: next offset to read}, e.g. {"0": "42"}, got ${shown(value)}`,
    });
    return;
  }
  for (const [partition, offset] of Object.entries(value)) {
    const field = `bandit.read_to.${partition}`;
    if (!DECIMAL.test(partition) || !Number.isSafeInteger(Number(partition))) {
      problems.push({ field, message: 'is not a partition (an integer from 0)' });
    } else if (typeof offset !== 'string' || !DECIMAL.test(offset) || BigInt(offset) > MAX_OFFSET) {
      problems.push({ field, message: `must be an offset (an integer from 0 as a string), got ${shown(offset)}` });
    }
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Whole buckets as a percent: 3333 -> 33.33. */
function percentOf(buckets: number): number {
  return buckets / BUCKETS_PER_PERCENT;
}

function checkVersion(value: unknown, field: string, problems: RolloutProblem[]): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push({ field, message: `must be a model version (a non-empty string), got ${shown(value)}` });
    return undefined;
  }
  if (value.trim() !== value) {
    problems.push({ field, message: `must not start or end with spaces, got ${shown(value)}` });
    return undefined;
  }
  return value;
}

function checkKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  problems: RolloutProblem[],
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      problems.push({ field: `${prefix}${key}`, message: `is not a rollout field (expected ${known.join(', ')})` });
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message quotes it: JSON, cut at 40 characters; "nothing" when the field is missing. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // a cycle: say what it is rather than fail on the message
  }
  if (text === undefined) return typeof value;
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} chars)` : text;
}

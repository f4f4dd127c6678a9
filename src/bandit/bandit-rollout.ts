import {
  rolloutProblems,
  type BanditDocument,
  type BanditReward,
  type RolloutDocument,
} from '../rollout/rollout-document.js';
import { RolloutError, type RolloutProblem } from '../rollout/rollout-error.js';
import { equalWeights } from './bandit-weights.js';

export const DEFAULT_BANDIT_REWARD: BanditReward = 'correct-decision';
/** percent of the customers every arm keeps at least, so each keeps earning evidence */
export const DEFAULT_BANDIT_FLOOR = 10;
/** percent of the customers an arm gets at most, so the others keep being measured */
export const DEFAULT_BANDIT_CEILING = 90;

/** A document with a bandit section: what the stepper works on. */
export type BanditRolloutDocument = RolloutDocument & { readonly bandit: BanditDocument };

export function hasBandit(document: RolloutDocument): document is BanditRolloutDocument {
  return document.bandit !== undefined;
}

/**
 * The arms' weights in the document, in arm order (pure): the champion (arms[0]) serves what the bandit's
 * challengers leave, the other arms their challenger weight. In whole buckets, so they add up to 100 exactly.
 */
export function armWeights(document: BanditRolloutDocument): number[] {
  const challengers = document.challengers ?? [];
  const others = document.bandit.arms
    .slice(1)
    .map((version) => challengers.find((c) => c.version === version)?.weight ?? 0);
  const taken = others.reduce((sum, w) => sum + Math.round(w * 100), 0);
  return [(10_000 - taken) / 100, ...others];
}

/**
 * The document serving `weights` (percent per arm, in arm order) with `bandit` as its section (pure): the champion
 * stays arms[0], the challengers are the other arms of kind "bandit" in arm order; shadows and salt stay.
 */
export function withArmWeights(
  document: RolloutDocument,
  bandit: BanditDocument,
  weights: readonly number[],
): BanditRolloutDocument {
  return {
    champion: bandit.arms[0] as string,
    challengers: bandit.arms
      .slice(1)
      .map((version, i) => ({ version, kind: 'bandit' as const, weight: weights[i + 1] as number })),
    ...(document.shadows === undefined || document.shadows.length === 0 ? {} : { shadows: [...document.shadows] }),
    ...(document.salt === undefined ? {} : { salt: document.salt }),
    bandit,
  };
}

/** `rollout set --bandit`'s flags, as typed. */
export interface BanditFlags {
  /** the arms, comma-separated, the champion first: `1.0.0,1.1.0` */
  readonly bandit: string;
  readonly reward?: string | undefined;
  readonly floor?: string | undefined;
  readonly ceiling?: string | undefined;
  readonly shadow: readonly string[];
  readonly salt?: string | undefined;
}

const PERCENT_FLAG = /^\d{1,3}(?:\.\d{1,2})?%?$/;

/**
 * The document that starts a bandit (pure): the arms of `--bandit` (the first serves as champion, the others as
 * challengers of kind "bandit"), equal weights, posteriors at 0 successes and 0 failures (the prior Beta(1, 1)),
 * step 0, and `readTo` (the joined topic's end offsets now, so outcomes of earlier predictions do not count).
 * Throws a RolloutError listing every problem, each naming the flag it comes from.
 */
export function banditDocumentFromFlags(flags: BanditFlags, readTo: Readonly<Record<string, string>>): RolloutDocument {
  const problems: RolloutProblem[] = [];
  const percent = (flag: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!PERCENT_FLAG.test(value.trim())) {
      problems.push({
        field: `${flag} "${value}"`,
        message: 'expected a percent, e.g. 10 or 10% (at most two decimals)',
      });
      return fallback;
    }
    return Number(value.trim().replace(/%$/, ''));
  };
  const floor = percent('--floor', flags.floor, DEFAULT_BANDIT_FLOOR);
  const ceiling = percent('--ceiling', flags.ceiling, DEFAULT_BANDIT_CEILING);
  if (problems.length > 0) throw new RolloutError(problems);
  const arms = flags.bandit.split(',').map((version) => version.trim());
  const reward = (flags.reward ?? DEFAULT_BANDIT_REWARD) as BanditReward;
  const canSplit = arms.length >= 2 && floor * arms.length <= 100 && ceiling * arms.length >= 100 && floor <= ceiling;
  const weights = canSplit ? equalWeights(arms.length, floor, ceiling) : arms.map(() => 0);
  const document = withArmWeights(
    { shadows: [...flags.shadow], ...(flags.salt === undefined ? {} : { salt: flags.salt }), champion: arms[0] ?? '' },
    {
      arms,
      reward,
      floor,
      ceiling,
      posteriors: arms.map((version) => ({ version, successes: 0, failures: 0 })),
      read_to: { ...readTo },
      step: 0,
    },
    weights,
  );
  const invalid = rolloutProblems(document);
  if (invalid.length > 0) {
    // The challengers and their weights are derived from the arms, floor and ceiling: a problem of theirs restates
    // one of those, so only the flags' own problems are named.
    const named = invalid
      .filter((p) => !/^challengers/.test(p.field) && p.field !== 'champion')
      .map((p) => ({ ...p, field: flagOfField(p.field, flags) }));
    throw new RolloutError(
      named.length > 0 ? named : invalid.map((p) => ({ ...p, field: flagOfField(p.field, flags) })),
    );
  }
  return document;
}

function flagOfField(field: string, flags: BanditFlags): string {
  if (field.startsWith('bandit.arms') || field.startsWith('challengers') || field === 'champion') {
    return `--bandit ${flags.bandit}`;
  }
  const shadow = /^shadows\[(\d+)\]$/.exec(field);
  if (shadow !== null) return `--shadow ${flags.shadow[Number(shadow[1])] ?? ''}`.trimEnd();
  for (const [prefix, flag] of [
    ['bandit.reward', '--reward'],
    ['bandit.floor', '--floor'],
    ['bandit.ceiling', '--ceiling'],
    ['salt', '--salt'],
  ] as const) {
    if (field === prefix) return flag;
  }
  return field;
}

/**
 * Whether `current` already is the bandit `wanted` starts (same arms, reward, floor, ceiling, shadows and salt),
 * whatever its steps have learnt since (pure): `rollout set --bandit` run again publishes nothing instead of
 * resetting the posteriors.
 */
export function sameBanditSetup(current: RolloutDocument, wanted: RolloutDocument): boolean {
  const a = current.bandit;
  const b = wanted.bandit;
  if (a === undefined || b === undefined) return false;
  return (
    JSON.stringify(a.arms) === JSON.stringify(b.arms) &&
    a.reward === b.reward &&
    a.floor === b.floor &&
    a.ceiling === b.ceiling &&
    JSON.stringify(current.shadows ?? []) === JSON.stringify(wanted.shadows ?? []) &&
    current.salt === wanted.salt
  );
}

/** One arm of the bandit in force as `rollout show` lists it. */
export interface BanditArmView {
  readonly version: string;
  /** percent of the customers */
  readonly weight: number;
  readonly successes: number;
  readonly failures: number;
}

/** The arms with their weights and posteriors, in arm order (pure). */
export function banditArms(document: BanditRolloutDocument): BanditArmView[] {
  const weights = armWeights(document);
  return document.bandit.arms.map((version, i) => ({
    version,
    weight: weights[i] as number,
    successes: document.bandit.posteriors[i]?.successes ?? 0,
    failures: document.bandit.posteriors[i]?.failures ?? 0,
  }));
}

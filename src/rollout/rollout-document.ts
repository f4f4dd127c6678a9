import { BUCKETS_PER_PERCENT } from './customer-bucket.js';
import type { RolloutProblem } from './rollout-error.js';

/** `canary`: a new model on a small, growing share; `ab`: a share held steady for a comparison. */
export type ChallengerKind = 'canary' | 'ab';

export const CHALLENGER_KINDS: readonly ChallengerKind[] = ['canary', 'ab'];

/** A challenger serves `weight` percent of the customers (0-100, in steps of 0.01 %, one bucket). */
export interface ChallengerDocument {
  readonly version: string;
  readonly kind: ChallengerKind;
  readonly weight: number;
}

/**
 * A rollout as an operator writes it (JSON): the champion serves every customer no challenger takes;
 * shadows are scored on the side and never serve. Versions are model versions (models/churn/<version>).
 * `salt` seeds the customers' buckets; a new salt reshuffles every customer.
 */
export interface RolloutDocument {
  readonly champion: string;
  readonly challengers?: readonly ChallengerDocument[];
  readonly shadows?: readonly string[];
  readonly salt?: string;
}

const DOCUMENT_KEYS = ['champion', 'challengers', 'shadows', 'salt'] as const;
const CHALLENGER_KEYS = ['version', 'kind', 'weight'] as const;

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
  const challengers = checkChallengers(input['challengers'], problems);
  const shadows = checkShadows(input['shadows'], problems);
  const salt = input['salt'];
  if (salt !== undefined && (typeof salt !== 'string' || salt === '')) {
    problems.push({ field: 'salt', message: `must be a non-empty string, got ${shown(salt)}` });
  }
  checkWeightSum(challengers, problems);
  checkEachVersionOnce(champion, challengers, shadows, problems);
  return problems;
}

/** A challenger that passed its own checks, with where it stands in the list. */
interface ListedChallenger extends ChallengerDocument {
  readonly index: number;
}

function checkChallengers(value: unknown, problems: RolloutProblem[]): ListedChallenger[] {
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
    if (!CHALLENGER_KINDS.some((k) => k === kind)) {
      problems.push({
        field: `${field}.kind`,
        message: `must be one of ${CHALLENGER_KINDS.map((k) => `"${k}"`).join(', ')}, got ${shown(kind)}`,
      });
    }
    const weight = checkWeight(item['weight'], `${field}.weight`, problems);
    if (problems.length === before && version !== undefined && weight !== undefined) {
      valid.push({ index, version, kind: kind as ChallengerKind, weight });
    }
  });
  return valid;
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

import type { BanditDocument, ChallengerDocument, RolloutDocument } from '../rollout/rollout-document.js';
import { rolloutProblems } from '../rollout/rollout-document.js';
import { RolloutError, type RolloutProblem } from '../rollout/rollout-error.js';
import { parseRollout, type Rollout } from '../rollout/rollout.js';
import { isJsonObject, shownJson } from './record-json.js';
import { RolloutChangeError } from './registry-errors.js';

/** The `format` of a rollout record on the rollout topic (README.md in this folder). */
export const ROLLOUT_RECORD_FORMAT = 'churn-scorer/rollout@1';

/** The key of the rollout record: the model's name. Compaction keeps the latest record of it. */
export const ROLLOUT_KEY = 'churn';

/** Earlier rollouts a record keeps, newest first: what `rollout rollback` can go back to. */
export const ROLLOUT_HISTORY_LIMIT = 20;

/** A rollout that was in force before, as the history of a later record keeps it. */
export interface RolloutHistoryEntry {
  readonly revision: number;
  readonly published_at: string;
  readonly rollout: RolloutDocument;
}

/** The value of the rollout-topic record (JSON, UTF-8), key ROLLOUT_KEY. */
export interface RolloutRecord {
  readonly format: typeof ROLLOUT_RECORD_FORMAT;
  /** counts up from 1; 0 is reserved for "no rollout published: the local model serves as champion" */
  readonly revision: number;
  /** ISO 8601 */
  readonly published_at: string;
  readonly rollout: RolloutDocument;
  /** the rollouts in force before this one, newest first, at most ROLLOUT_HISTORY_LIMIT */
  readonly history: readonly RolloutHistoryEntry[];
}

export type RolloutRecordRefusalReason = 'not-json' | 'format' | 'rollout';

export type ParsedRolloutRecord =
  | { readonly ok: true; readonly record: RolloutRecord; readonly rollout: Rollout }
  | { readonly ok: false; readonly reason: RolloutRecordRefusalReason; readonly message: string };

/**
 * Reads a rollout-topic record's value (pure): JSON ('not-json'), the record's envelope ('format': format,
 * revision, published_at, history), and its rollout, validated and laid out by parseRollout ('rollout', with
 * every problem of the RolloutError). Unknown envelope keys are ignored: the format tag says what a record
 * means, and a later writer may add fields. A null value (a tombstone) is 'not-json'.
 */
export function parseRolloutRecord(value: Buffer | null): ParsedRolloutRecord {
  if (value === null || value.length === 0) {
    return { ok: false, reason: 'not-json', message: 'the record has no value (a tombstone)' };
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: 'not-json', message: `the value is not JSON: ${(error as Error).message}` };
  }
  const problem = envelopeProblem(json);
  if (problem !== undefined) return { ok: false, reason: 'format', message: problem };
  const record = json as RolloutRecord;
  try {
    return { ok: true, record, rollout: parseRollout(record.rollout) };
  } catch (error) {
    if (error instanceof RolloutError) {
      return { ok: false, reason: 'rollout', message: `revision ${record.revision}: ${error.oneLine}` };
    }
    throw error;
  }
}

function envelopeProblem(json: unknown): string | undefined {
  if (!isJsonObject(json)) return `the value must be a JSON object, got ${shownJson(json)}`;
  if (json['format'] !== ROLLOUT_RECORD_FORMAT) {
    return `field format is ${shownJson(json['format'])}; expected "${ROLLOUT_RECORD_FORMAT}"`;
  }
  const revision = json['revision'];
  if (!isRevision(revision)) return `field revision must be an integer >= 1, got ${shownJson(revision)}`;
  if (!isTime(json['published_at'])) {
    return `field published_at must be an ISO 8601 time, got ${shownJson(json['published_at'])}`;
  }
  if (!isJsonObject(json['rollout']))
    return `field rollout must be a rollout document, got ${shownJson(json['rollout'])}`;
  const history = json['history'];
  if (!Array.isArray(history)) return `field history must be a list, got ${shownJson(history)}`;
  for (const [i, entry] of history.entries()) {
    const field = `history[${i}]`;
    if (!isJsonObject(entry)) return `field ${field} must be an object {revision, published_at, rollout}`;
    if (!isRevision(entry['revision']) || entry['revision'] >= revision) {
      return `field ${field}.revision must be an integer from 1 to ${revision - 1}, got ${shownJson(entry['revision'])}`;
    }
    if (!isTime(entry['published_at'])) {
      return `field ${field}.published_at must be an ISO 8601 time, got ${shownJson(entry['published_at'])}`;
    }
    if (!isJsonObject(entry['rollout'])) return `field ${field}.rollout must be a rollout document`;
  }
  return undefined;
}

/**
 * The record that puts `document` in force after `previous` (pure): the next revision, with the previous
 * rollout first in the history (kept to ROLLOUT_HISTORY_LIMIT). Throws a RolloutError when the document is
 * invalid, so an invalid rollout is never published.
 */
export function nextRolloutRecord(
  previous: RolloutRecord | undefined,
  document: RolloutDocument,
  publishedAt: string,
): RolloutRecord {
  const problems = rolloutProblems(document);
  if (problems.length > 0) throw new RolloutError(problems);
  const history =
    previous === undefined
      ? []
      : [
          { revision: previous.revision, published_at: previous.published_at, rollout: previous.rollout },
          ...previous.history,
        ].slice(0, ROLLOUT_HISTORY_LIMIT);
  return {
    format: ROLLOUT_RECORD_FORMAT,
    revision: (previous?.revision ?? 0) + 1,
    published_at: publishedAt,
    rollout: canonicalDocument(document),
    history,
  };
}

/**
 * The record that puts the previous rollout (history[0]) back in force as a new revision (pure). The rollout
 * rolled back from leaves the history, so a second rollback goes one step further back rather than undoing the
 * first. Throws a RolloutChangeError when there is nothing to go back to.
 */
export function rollbackRecord(current: RolloutRecord, publishedAt: string): RolloutRecord {
  const [previous, ...older] = current.history;
  if (previous === undefined) {
    throw new RolloutChangeError(
      `cannot roll back: rollout revision ${current.revision} has no earlier rollout in its history; ` +
        'use `rollout set` to publish the rollout you want',
    );
  }
  const problems = rolloutProblems(previous.rollout);
  if (problems.length > 0) {
    throw new RolloutChangeError(
      `cannot roll back to revision ${previous.revision}: its rollout is invalid (${new RolloutError(problems).oneLine})`,
    );
  }
  return {
    format: ROLLOUT_RECORD_FORMAT,
    revision: current.revision + 1,
    published_at: publishedAt,
    rollout: canonicalDocument(previous.rollout),
    history: older,
  };
}

/**
 * The rollout with `version` as its champion (pure): it leaves the challengers or shadows, the old champion
 * is dropped (set it as a shadow with `rollout set` to keep comparing), and the other versions and the salt
 * stay. Promoting ends a bandit: its section and its other arms leave too, so the promoted version serves
 * everyone. Throws a RolloutChangeError when `version` is the champion already or not in the rollout.
 */
export function promoteDocument(current: RolloutDocument, version: string): RolloutDocument {
  if (current.champion === version) {
    throw new RolloutChangeError(`cannot promote ${version}: it is the champion already`);
  }
  const challengers = current.challengers ?? [];
  const shadows = current.shadows ?? [];
  if (!challengers.some((c) => c.version === version) && !shadows.includes(version)) {
    const named = [...challengers.map((c) => `${c.version} (${c.kind})`), ...shadows.map((s) => `${s} (shadow)`)];
    throw new RolloutChangeError(
      `cannot promote ${version}: it is not in the rollout in force (champion ${current.champion}` +
        `${named.length === 0 ? ', no challengers or shadows' : `; ${named.join(', ')}`})`,
    );
  }
  return canonicalDocument({
    champion: version,
    challengers: challengers.filter((c) => c.version !== version && c.kind !== 'bandit'),
    shadows: shadows.filter((s) => s !== version),
    ...(current.salt === undefined ? {} : { salt: current.salt }),
  });
}

/**
 * `next` with its challengers in the order that keeps customers where they are (pure): the versions `current`
 * already has as challengers first, in current's order, then the others as given. Customers' buckets are laid out
 * in list order (src/rollout/challenger-buckets.ts), so a challenger added beside a running one takes champion
 * customers only, and none of the running one's customers move, whatever order the flags name them in.
 */
export function keepingChallengerOrder(next: RolloutDocument, current: RolloutDocument | undefined): RolloutDocument {
  const challengers = next.challengers ?? [];
  const before = (current?.challengers ?? []).map((c) => c.version);
  const place = (version: string) => {
    const index = before.indexOf(version);
    return index === -1 ? before.length : index;
  };
  const ordered = challengers
    .map((challenger, given) => ({ challenger, given }))
    .sort((a, b) => place(a.challenger.version) - place(b.challenger.version) || a.given - b.given)
    .map(({ challenger }) => challenger);
  return canonicalDocument({ ...next, challengers: ordered });
}

/** The operator's flags of `rollout set`. */
export interface RolloutFlags {
  readonly champion: string;
  readonly canary: readonly string[];
  readonly ab: readonly string[];
  readonly shadow: readonly string[];
  readonly salt?: string | undefined;
}

/**
 * The rollout document of `rollout set`'s flags (pure): `--canary VERSION=PERCENT` and `--ab VERSION=PERCENT`
 * (`1.1.0=10%` or `1.1.0=10`; percent from 0 to 100 in steps of 0.01), canaries first, in the order given.
 * Throws a RolloutError listing every problem, each naming the flag it comes from.
 */
export function documentFromFlags(flags: RolloutFlags): RolloutDocument {
  const problems: RolloutProblem[] = [];
  const sources: string[] = [];
  const challengers: ChallengerDocument[] = [];
  for (const kind of ['canary', 'ab'] as const) {
    for (const value of flags[kind]) {
      const flag = `--${kind} ${value}`;
      const parsed = challengerFlag(value);
      if (typeof parsed === 'string') {
        problems.push({ field: `--${kind} "${value}"`, message: parsed });
      } else {
        challengers.push({ version: parsed.version, kind, weight: parsed.weight });
        sources.push(flag);
      }
    }
  }
  if (problems.length > 0) throw new RolloutError(problems);
  const document: RolloutDocument = {
    champion: flags.champion,
    challengers,
    shadows: [...flags.shadow],
    ...(flags.salt === undefined ? {} : { salt: flags.salt }),
  };
  const invalid = rolloutProblems(document);
  if (invalid.length > 0) {
    throw new RolloutError(invalid.map((p) => ({ ...p, field: flagOfField(p.field, sources, flags.shadow) })));
  }
  return canonicalDocument(document);
}

const CHALLENGER_FLAG = /^(?<version>[^=]*)=(?<percent>\d{1,3}(?:\.\d{1,2})?)%?$/;

function challengerFlag(value: string): { version: string; weight: number } | string {
  const match = CHALLENGER_FLAG.exec(value);
  const version = match?.groups?.['version'];
  const percent = match?.groups?.['percent'];
  if (version === undefined || percent === undefined) {
    return 'expected VERSION=PERCENT, e.g. 1.1.0=10% (percent from 0 to 100, at most two decimals)';
  }
  if (version.trim() === '') return 'names no model version before "="';
  const weight = Number(percent);
  if (weight > 100) return `${percent}% is more than 100%`;
  return { version, weight };
}

/** "challengers[1].version" -> "--ab 1.1.0=50% (version)"; "shadows[0]" -> "--shadow 1.2.0"; "salt" -> "--salt". */
function flagOfField(field: string, sources: readonly string[], shadows: readonly string[]): string {
  const challenger = /^challengers\[(\d+)\](?:\.(\w+))?$/.exec(field);
  if (challenger !== null) {
    const source = sources[Number(challenger[1])] ?? field;
    return challenger[2] === undefined ? source : `${source} (${challenger[2]})`;
  }
  const shadow = /^shadows\[(\d+)\]$/.exec(field);
  if (shadow !== null) return `--shadow ${shadows[Number(shadow[1])] ?? ''}`.trimEnd();
  if (field === 'champion' || field === 'salt') return `--${field}`;
  if (field === 'challengers') return '--canary/--ab';
  return field;
}

/** The document with empty lists left out and keys in one order, so equal rollouts are equal JSON. */
function canonicalDocument(document: RolloutDocument): RolloutDocument {
  const challengers = (document.challengers ?? []).map(({ version, kind, weight }) => ({ version, kind, weight }));
  const shadows = [...(document.shadows ?? [])];
  return {
    champion: document.champion,
    ...(challengers.length === 0 ? {} : { challengers }),
    ...(shadows.length === 0 ? {} : { shadows }),
    ...(document.salt === undefined ? {} : { salt: document.salt }),
    ...(document.bandit === undefined ? {} : { bandit: canonicalBandit(document.bandit) }),
  };
}

function canonicalBandit(bandit: BanditDocument): BanditDocument {
  const partitions = Object.keys(bandit.read_to).sort((a, b) => Number(a) - Number(b));
  return {
    arms: [...bandit.arms],
    reward: bandit.reward,
    floor: bandit.floor,
    ceiling: bandit.ceiling,
    posteriors: bandit.posteriors.map(({ version, successes, failures }) => ({ version, successes, failures })),
    read_to: Object.fromEntries(partitions.map((p) => [p, bandit.read_to[p] as string])),
    step: bandit.step,
  };
}

/**
 * The record of a bandit step (pure): `document` (the step's weights, posteriors, read_to) as the next revision,
 * with the history of `current` as it is. A step replaces the rollout in force instead of pushing it into the
 * history, so the history keeps what was in force before the bandit started and `rollout rollback` goes back
 * there, not one step of the bandit back. Throws a RolloutError when the document is invalid.
 */
export function banditStepRecord(
  current: RolloutRecord,
  document: RolloutDocument,
  publishedAt: string,
): RolloutRecord {
  const problems = rolloutProblems(document);
  if (problems.length > 0) throw new RolloutError(problems);
  return {
    format: ROLLOUT_RECORD_FORMAT,
    revision: current.revision + 1,
    published_at: publishedAt,
    rollout: canonicalDocument(document),
    history: current.history,
  };
}

/** Whether two documents describe the same rollout (same versions, kinds, weights, order and salt). */
export function sameRollout(a: RolloutDocument, b: RolloutDocument): boolean {
  return JSON.stringify(canonicalDocument(a)) === JSON.stringify(canonicalDocument(b));
}

/** Every model version a rollout names: the champion, the challengers, the shadows. */
export function rolloutVersions(document: RolloutDocument): string[] {
  return [document.champion, ...(document.challengers ?? []).map((c) => c.version), ...(document.shadows ?? [])];
}

function isRevision(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isTime(value: unknown): boolean {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

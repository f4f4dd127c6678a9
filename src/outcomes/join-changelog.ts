import { ScorerError } from '../errors/scorer-error.js';
import { messageBytes } from '../stream/output-size.js';

/**
 * The codec of the join's changelog topic (pure): partition p holds task p's state as compacted key -> value, one
 * record per pending prediction (as a Kafka Streams window store's changelog keys each entry), so a change costs
 * the bytes of the entries it touches, never a customer's whole list.
 *
 * Keys (UTF-8):
 *   `p:` + JSON array `[customerid, model_version, variant, event_id]`   a pending prediction (its identity: the
 *       join ignores a repeat of a pending event_id + model_version + variant of the customer). JSON's string
 *       escaping makes the key unambiguous whatever text the fields hold (a separator byte could occur in an id),
 *       and JSON.stringify of strings is deterministic, so the same prediction always has the same key bytes, which
 *       compaction needs.
 *   `t`   the task's stream time.
 * The prefixes keep a prediction from ever naming the stream time.
 *
 * Values: JSON tagged with their format, so a later layout is refused by a version that does not know it instead
 * of misread:
 *   {"format":"churn.join-state/2","event_id":...,"model_version":...,"variant":...,"rollout_revision":...,
 *    "churn_probability":...,"predicted_churn":...,"assignment_probability":...,"prediction_time":...}
 *   {"format":"churn.join-state/2","stream_time":1733000000000}   (or null)
 * A resolved prediction (joined or expired) is a tombstone (null value), which compaction removes.
 *
 * Order: a customer's pending list is in arrival order, and arrival order is the order of the entries' puts in
 * the partition (offset order). A key put again after its tombstone is a new arrival: its latest put decides its
 * place, which is also all that compaction keeps of it. JSON rather than Avro: the topic is this service's private
 * state, read back only by this codec, and needs no registry on the restore path.
 *
 * `churn.join-state/1` (a customer's whole list under `c:<customerid>`) was never released; it is refused with the
 * way to reset the join, not migrated.
 */
export const JOIN_CHANGELOG_FORMAT = 'churn.join-state/2';

const LEGACY_FORMAT = 'churn.join-state/1';
const LEGACY_CUSTOMER_PREFIX = 'c:';
const PREDICTION_PREFIX = 'p:';
const STREAM_TIME_KEY = 't';

/** A prediction waiting for its customer's outcome (the fields a joined or expired record carries). */
export interface PendingPrediction {
  readonly event_id: string;
  readonly model_version: string;
  readonly variant: string;
  readonly rollout_revision: number;
  readonly churn_probability: number;
  readonly predicted_churn: boolean;
  readonly assignment_probability: number;
  /** event_time of the scored event: what the attribution window is measured on */
  readonly prediction_time: number;
}

/** What names a pending prediction in its task: its customer and the fields a repeat shares. */
export interface PendingKey {
  readonly customerid: string;
  readonly model_version: string;
  readonly variant: string;
  readonly event_id: string;
}

/**
 * One update of the task's changelog: a prediction became pending (a put), a pending prediction was resolved
 * (joined or expired: a tombstone), or the task's stream time moved.
 */
export type ChangelogUpdate =
  | { readonly kind: 'pending'; readonly customerid: string; readonly prediction: PendingPrediction }
  | ({ readonly kind: 'resolved' } & PendingKey)
  | { readonly kind: 'stream-time'; readonly streamTime: number | null };

/** Where the records being decoded come from: named in errors, with the way to reset the join. */
export interface ChangelogSource {
  readonly topic: string;
  readonly partition: number;
  /** the join's consumer group (`<CONSUMER_GROUP>.outcomes`) */
  readonly groupId: string;
}

/** A changelog record this version cannot read: another format, or not what this codec writes. */
export class JoinChangelogError extends ScorerError {
  static override readonly code = 'CHURN_ERR_JOIN_CHANGELOG';
  override readonly name = 'JoinChangelogError';
}

export interface ChangelogRecord {
  key: Buffer;
  value: Buffer | null;
}

function keyOf(k: PendingKey): Buffer {
  return Buffer.from(
    PREDICTION_PREFIX + JSON.stringify([k.customerid, k.model_version, k.variant, k.event_id]),
    'utf8',
  );
}

export function encodeChangelogUpdate(update: ChangelogUpdate): ChangelogRecord {
  switch (update.kind) {
    case 'stream-time':
      return {
        key: Buffer.from(STREAM_TIME_KEY, 'utf8'),
        value: Buffer.from(JSON.stringify({ format: JOIN_CHANGELOG_FORMAT, stream_time: update.streamTime }), 'utf8'),
      };
    case 'resolved':
      return { key: keyOf(update), value: null };
    case 'pending': {
      const p = update.prediction;
      const value = { format: JOIN_CHANGELOG_FORMAT, ...p };
      return { key: keyOf({ customerid: update.customerid, ...p }), value: Buffer.from(JSON.stringify(value), 'utf8') };
    }
  }
}

/** The most bytes the update's record adds to a record batch (what a transaction's output budget counts). */
export function changelogUpdateBytes(update: ChangelogUpdate): number {
  return messageBytes(encodeChangelogUpdate(update));
}

/** The update a changelog record holds; JoinChangelogError when it is not one this codec wrote. */
export function decodeChangelogRecord(
  key: Buffer | null,
  value: Buffer | null,
  source?: ChangelogSource,
): ChangelogUpdate {
  const where = source === undefined ? 'join changelog' : `${source.topic}[${source.partition}]`;
  if (key === null) throw new JoinChangelogError(`${where}: a record without a key`);
  const text = key.toString('utf8');
  if (text === STREAM_TIME_KEY) {
    if (value === null) return { kind: 'stream-time', streamTime: null };
    const body = parseValue(value, where, source);
    const streamTime = body['stream_time'];
    if (streamTime !== null && !isFiniteNumber(streamTime)) {
      throw new JoinChangelogError(`${where}: stream_time is not a number or null`);
    }
    return { kind: 'stream-time', streamTime };
  }
  if (text.startsWith(LEGACY_CUSTOMER_PREFIX)) throw legacy(where, source);
  if (!text.startsWith(PREDICTION_PREFIX)) {
    throw new JoinChangelogError(
      `${where}: key '${text.slice(0, 80)}' is not a pending prediction (p:...) nor the stream time (t)`,
    );
  }
  const id = pendingKey(text.slice(PREDICTION_PREFIX.length), where);
  if (value === null) return { kind: 'resolved', ...id };
  const entry = `${where}: ${text.slice(0, 160)}`;
  const prediction = pendingPrediction(parseValue(value, where, source), entry);
  if (
    prediction.model_version !== id.model_version ||
    prediction.variant !== id.variant ||
    prediction.event_id !== id.event_id
  ) {
    throw new JoinChangelogError(`${entry}: the value's model_version, variant or event_id is not its key's`);
  }
  return { kind: 'pending', customerid: id.customerid, prediction };
}

function resetHint(source: ChangelogSource | undefined): string {
  return source === undefined
    ? 'reset the join: stop the workers, delete the changelog topic and the <CONSUMER_GROUP>.outcomes consumer group'
    : `reset the join: stop the workers, delete the topic ${source.topic} and the consumer group ${source.groupId}`;
}

function legacy(where: string, source: ChangelogSource | undefined): JoinChangelogError {
  return new JoinChangelogError(
    `${where}: holds ${LEGACY_FORMAT} records (a list per customer, from an unreleased build), which this version ` +
      `does not read: ${resetHint(source)}`,
  );
}

function pendingKey(json: string, where: string): PendingKey {
  let parts: unknown;
  try {
    parts = JSON.parse(json) as unknown;
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((part) => typeof part === 'string')) {
    throw new JoinChangelogError(
      `${where}: key 'p:${json.slice(0, 80)}' is not [customerid, model_version, variant, event_id]`,
    );
  }
  const [customerid, model_version, variant, event_id] = parts as [string, string, string, string];
  return { customerid, model_version, variant, event_id };
}

function parseValue(value: Buffer, where: string, source: ChangelogSource | undefined): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8')) as unknown;
  } catch (cause) {
    throw new JoinChangelogError(`${where}: value is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (!isRecord(body)) throw new JoinChangelogError(`${where}: value is not a JSON object`);
  const format = body['format'];
  if (format === LEGACY_FORMAT) throw legacy(where, source);
  if (format !== JOIN_CHANGELOG_FORMAT) {
    throw new JoinChangelogError(
      `${where}: format ${JSON.stringify(format)} is not ${JOIN_CHANGELOG_FORMAT}, the one this version reads ` +
        `(a newer churn-scorer wrote it?): run that version, or ${resetHint(source)}`,
    );
  }
  return body;
}

function pendingPrediction(item: Record<string, unknown>, where: string): PendingPrediction {
  const text = (name: string): string => {
    const v = item[name];
    if (typeof v !== 'string') throw new JoinChangelogError(`${where}: ${name} is not a string`);
    return v;
  };
  const num = (name: string): number => {
    const v = item[name];
    if (!isFiniteNumber(v)) throw new JoinChangelogError(`${where}: ${name} is not a number`);
    return v;
  };
  const predicted = item['predicted_churn'];
  if (typeof predicted !== 'boolean') throw new JoinChangelogError(`${where}: predicted_churn is not a boolean`);
  return {
    event_id: text('event_id'),
    model_version: text('model_version'),
    variant: text('variant'),
    rollout_revision: num('rollout_revision'),
    churn_probability: num('churn_probability'),
    predicted_churn: predicted,
    assignment_probability: num('assignment_probability'),
    prediction_time: num('prediction_time'),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

import type { Kafka } from 'kafkajs';
import { DEFAULT_ROLLOUT_SALT } from '../../src/rollout/rollout.js';
import type { ChallengerDocument, RolloutDocument } from '../../src/rollout/rollout-document.js';
import { TopicCollector } from './collectors.js';

/** One earlier revision, as a rollout record carries it in `history`. */
export interface RolloutHistoryEntry {
  revision: number;
  published_at: string;
  rollout: RolloutDocument;
}

/** A record of the rollout topic (`models.rollout`, key = model name), read as a user would: plain JSON. */
export interface PublishedRollout {
  format: string;
  revision: number;
  published_at: string;
  rollout: RolloutDocument;
  history: RolloutHistoryEntry[];
}

/** A read_committed reader of the rollout topic from its beginning; a tombstone is kept as null. */
export function startRolloutCollector(kafka: Kafka, topic: string): Promise<TopicCollector<PublishedRollout | null>> {
  return TopicCollector.start(kafka, topic, (message) =>
    message.value === null ? null : (JSON.parse(message.value.toString('utf8')) as PublishedRollout),
  );
}

/** The highest revision the reader has seen so far (0 before any rollout). */
export function latestRevision(records: readonly { value: PublishedRollout | null }[]): number {
  return records.reduce((latest, r) => Math.max(latest, r.value?.revision ?? 0), 0);
}

/**
 * Every revision's document, from the records and the history each carries (compaction may have removed the
 * older records; the newest one's history still names them). Revision 0 is `localChampion` alone: the worker's
 * MODEL_DIR serving everyone until a rollout is published.
 */
export function rolloutsByRevision(
  records: readonly { value: PublishedRollout | null }[],
  localChampion: string,
): Map<number, RolloutDocument> {
  const out = new Map<number, RolloutDocument>([[0, { champion: localChampion }]]);
  for (const { value } of records) {
    if (value === null) continue;
    for (const entry of value.history) if (!out.has(entry.revision)) out.set(entry.revision, entry.rollout);
    out.set(value.revision, value.rollout);
  }
  return out;
}

/** When each revision was published (epoch ms, from its `published_at`), from the records and their history. */
export function publicationTimes(records: readonly { value: PublishedRollout | null }[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const { value } of records) {
    if (value === null) continue;
    for (const entry of [value, ...value.history]) out.set(entry.revision, Date.parse(entry.published_at));
  }
  return out;
}

/** A document with its defaults spelled out, so two spellings of one rollout compare equal. */
export function normalizedRollout(document: RolloutDocument): Required<Omit<RolloutDocument, 'bandit'>> {
  return {
    champion: document.champion,
    challengers: (document.challengers ?? []).map(({ version, kind, weight }): ChallengerDocument => ({
      version,
      kind,
      weight,
    })),
    shadows: [...(document.shadows ?? [])],
    salt: document.salt ?? DEFAULT_ROLLOUT_SALT,
  };
}

/** `champion 1.0.0, canary 1.1.0 10%, shadows 1.2.0`: a rollout in one short line for logs. */
export function describeRollout(document: RolloutDocument): string {
  const parts = [`champion ${document.champion}`];
  for (const c of document.challengers ?? []) parts.push(`${c.kind} ${c.version} ${c.weight}%`);
  if ((document.shadows ?? []).length > 0) parts.push(`shadows ${(document.shadows ?? []).join('+')}`);
  return parts.join(', ');
}

import type { RolloutDocument } from '../rollout/rollout-document.js';
import { verifyModelPackage, type RefusedModel, type VerifiedModel } from './model-package.js';
import { ModelNotPublishedError } from './registry-errors.js';
import { rolloutVersions } from './rollout-record.js';

/** A version on the models topic (its latest record), with what verification said of it. */
export interface PublishedModel {
  /** the record key */
  readonly version: string;
  readonly offset: string;
  /** as the package says, when it says it (a refused package may not) */
  readonly sha256: string | undefined;
  readonly published_at: string | undefined;
  readonly verification: VerifiedModel | RefusedModel;
}

/** A models-topic record as read. */
export interface ModelsTopicRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/**
 * The versions a compacted models topic holds (pure), as a reader of every record sees them: the latest
 * record of each key wins, a tombstone (null value) withdraws the version, a record without a key is
 * ignored (the broker refuses those on a compacted topic). Each version is verified once, in offset order.
 */
export function publishedModels(records: Iterable<ModelsTopicRecord>): PublishedModel[] {
  const latest = new Map<string, ModelsTopicRecord>();
  for (const record of records) {
    if (record.key === null) continue;
    const version = record.key.toString('utf8');
    latest.delete(version); // re-inserted last: the map keeps the order of the latest publications
    if (record.value !== null) latest.set(version, record);
  }
  return [...latest].map(([version, record]) => ({
    version,
    offset: record.offset,
    ...stated(record.value),
    verification: verifyModelPackage(version, record.value),
  }));
}

/** sha256 and published_at as the value states them, read leniently (for listing refused packages too). */
function stated(value: Buffer | null): { sha256: string | undefined; published_at: string | undefined } {
  try {
    const json = JSON.parse(value?.toString('utf8') ?? '') as Record<string, unknown>;
    return {
      sha256: typeof json['sha256'] === 'string' ? json['sha256'] : undefined,
      published_at: typeof json['published_at'] === 'string' ? json['published_at'] : undefined,
    };
  } catch {
    return { sha256: undefined, published_at: undefined };
  }
}

/**
 * Throws a ModelNotPublishedError unless every version the rollout names is published and verifies (pure).
 * The champion may instead be `localVersion`, the version of the model every worker loads from its MODEL_DIR.
 */
export function requirePublished(
  document: RolloutDocument,
  models: readonly PublishedModel[],
  options: { topic: string; localVersion: string | undefined },
): void {
  const byVersion = new Map(models.map((m) => [m.version, m]));
  const missing: string[] = [];
  const refused: { version: string; reason: string }[] = [];
  for (const version of rolloutVersions(document)) {
    const published = byVersion.get(version);
    if (published?.verification.ok === true) continue;
    if (version === document.champion && version === options.localVersion) continue;
    if (published === undefined) missing.push(version);
    else refused.push({ version, reason: published.verification.reason });
  }
  if (missing.length > 0 || refused.length > 0) throw new ModelNotPublishedError(options.topic, missing, refused);
}

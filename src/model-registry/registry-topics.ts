import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import kafkajs, { type Admin, type Kafka, type Producer, type Transaction } from 'kafkajs';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import { hasKafkaType } from '../kafka/kafkajs-errors.js';
import { readTopicsToEnd } from '../kafka/read-to-end.js';
import { ensureTopics } from '../kafka/topics.js';
import { MODEL_FILE_NAME } from '../model/model-artifact.js';
import { ModelArtifactError } from '../model/model-artifact-error.js';
import {
  buildModelPackage,
  DEFAULT_PARITY_EXAMPLES,
  verifyModelPackage,
  type ModelPackage,
  type VerifiedModel,
} from './model-package.js';
import { publishedModels, type ModelsTopicRecord, type PublishedModel } from './published-models.js';
import { ModelRefusedError, ModelVersionTakenError, RolloutConflictError } from './registry-errors.js';
import { modelTopicSpecs, type RegistryTopicsConfig } from './registry-topic-specs.js';
import { parseRolloutRecord, ROLLOUT_KEY, type RolloutRecord } from './rollout-record.js';

// kafkajs is CommonJS and Node cannot see these exports by name.
const { ConfigResourceTypes, Partitioners } = kafkajs;

/** What the registry shell needs of the configuration. */
export interface RegistryConfig {
  readonly topics: RegistryTopicsConfig;
}

/** Header on a models-topic record: the package's checksum, readable without parsing the value. */
export const MODEL_SHA256_HEADER = 'churn.model.sha256';

/**
 * Creates the models and rollout topics when missing (with topics.create), compacted with one partition
 * (registry-topic-specs.ts). Returns the names created, and those that exist but are not compacted: on such
 * a topic the retention deletes published models and the rollout in force, so the caller warns.
 */
export async function ensureRegistryTopics(
  admin: Admin,
  config: RegistryConfig,
): Promise<{ created: string[]; notCompacted: string[] }> {
  const specs = modelTopicSpecs(config);
  const { created } = await ensureTopics(admin, specs, { create: config.topics.create });
  // An operator allowed to write the topics may not be allowed to describe their configuration: then no warning.
  const described = await admin
    .describeConfigs({
      includeSynonyms: false,
      resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: ['cleanup.policy'] })),
    })
    .catch(() => ({ resources: [] }));
  const notCompacted = described.resources
    .filter(
      (r) => !(r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? '').includes('compact'),
    )
    .map((r) => r.resourceName);
  return { created, notCompacted };
}

/** A model directory read into a package whose exact bytes passed verification. */
export interface PreparedModel {
  readonly dir: string;
  readonly package: ModelPackage;
  /** the record value: the package as JSON, the bytes verifyModelPackage accepted */
  readonly value: Buffer;
  readonly verified: VerifiedModel;
}

/**
 * Reads <dir>/model.json and the head of <dir>/parity.jsonl (DEFAULT_PARITY_EXAMPLES lines; the rest of the
 * file is not read), builds the package and verifies the very bytes that would be sent, as every worker will.
 * A broken artifact throws a ModelRefusedError (reason 'artifact' for a missing or unreadable file, else the
 * reason a worker would refuse the package with), so it is never published.
 */
export async function prepareModel(dir: string, publishedAt: string): Promise<PreparedModel> {
  const directory = resolve(dir);
  let pkg: ModelPackage;
  try {
    const modelJson = await readModelFile(join(directory, MODEL_FILE_NAME));
    const parityJsonl = await readHeadLines(join(directory, 'parity.jsonl'), DEFAULT_PARITY_EXAMPLES);
    pkg = buildModelPackage({ modelJson, parityJsonl, dir: directory }, publishedAt);
  } catch (error) {
    if (error instanceof ModelArtifactError) {
      throw new ModelRefusedError(directory, undefined, 'artifact', error.message, { cause: error });
    }
    throw error;
  }
  const value = Buffer.from(JSON.stringify(pkg), 'utf8');
  const verified = verifyModelPackage(pkg.version, value);
  if (!verified.ok) throw new ModelRefusedError(directory, verified.version, verified.reason, verified.message);
  return { dir: directory, package: pkg, value, verified };
}

async function readModelFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelArtifactError(file, undefined, unreadable(error), { cause: error });
  }
}

/** The first `count` non-empty lines of the file (and the empty ones among them, so line numbers hold). */
async function readHeadLines(file: string, count: number): Promise<string> {
  const lines: string[] = [];
  const input = createReadStream(file, { encoding: 'utf8' });
  try {
    let nonEmpty = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lines.push(line);
      if (line.trim() !== '' && ++nonEmpty >= count) break;
    }
  } catch (error) {
    throw new ModelArtifactError(
      file,
      undefined,
      `${unreadable(error)}; a published model carries the parity examples training writes there`,
      { cause: error },
    );
  } finally {
    input.destroy();
  }
  return lines.join('\n');
}

function unreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(error)})`;
}

/** Where a package went. */
export interface PublishedPackage {
  readonly version: string;
  readonly sha256: string;
  readonly parityExamples: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** true: the same version with the same checksum was on the topic already, and nothing was sent */
  readonly alreadyPublished: boolean;
}

/**
 * Sends a prepared package to the models topic (key: its version) with an idempotent producer, acks=all. A
 * published version is immutable: when the topic holds the version with another checksum and it verifies, this
 * throws a ModelVersionTakenError (publish under a new version); the same checksum sends nothing. A version whose
 * record every worker refuses may be published again, which is how a corrupted record is repaired.
 */
export async function publishPreparedModel(
  kafka: Kafka,
  admin: Admin,
  config: RegistryConfig,
  prepared: PreparedModel,
): Promise<PublishedPackage> {
  const { version, sha256, parity } = prepared.package;
  const topic = config.topics.models;
  const existing = (await readPublishedModels(kafka, admin, config)).find((m) => m.version === version);
  const summary = { version, sha256, parityExamples: parity.length, topic, partition: 0 };
  if (existing?.verification.ok === true) {
    if (existing.verification.sha256 === sha256) return { ...summary, offset: existing.offset, alreadyPublished: true };
    throw new ModelVersionTakenError(topic, version, existing.verification.sha256, sha256);
  }
  const producer = kafka.producer({ ...IDEMPOTENT_PRODUCER, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: version, value: prepared.value, headers: { [MODEL_SHA256_HEADER]: sha256 } }],
    });
    return {
      ...summary,
      partition: sent?.partition ?? 0,
      offset: sent?.baseOffset ?? sent?.offset ?? '?',
      alreadyPublished: false,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** prepareModel, then publishPreparedModel: `model publish <dir>`. */
export async function publishModel(
  kafka: Kafka,
  admin: Admin,
  config: RegistryConfig,
  dir: string,
): Promise<PublishedPackage> {
  return publishPreparedModel(kafka, admin, config, await prepareModel(dir, new Date().toISOString()));
}

/** Every version on the models topic, verified (empty when the topic does not exist). */
export async function readPublishedModels(
  kafka: Kafka,
  admin: Admin,
  config: RegistryConfig,
): Promise<PublishedModel[]> {
  return (await readRegistry(kafka, admin, config, { models: true, rollout: false })).models;
}

/** A rollout-topic record that workers refuse, found after the rollout in force. */
export interface RefusedRolloutRecord {
  readonly offset: string;
  readonly reason: string;
  readonly message: string;
}

/** The rollout topic as workers see it. */
export interface RolloutTopicState {
  /** the latest valid record of ROLLOUT_KEY: the rollout the workers keep in force (undefined: none, revision 0) */
  readonly current: RolloutRecord | undefined;
  /** records of ROLLOUT_KEY after it that workers refuse, oldest first */
  readonly refused: readonly RefusedRolloutRecord[];
}

/** The rollout in force (the latest valid record of ROLLOUT_KEY), or undefined when none is published. */
export async function readLatestRollout(
  kafka: Kafka,
  admin: Admin,
  config: RegistryConfig,
): Promise<RolloutRecord | undefined> {
  return (await readRolloutState(kafka, admin, config)).current;
}

/** The rollout in force and the refused records after it. */
export async function readRolloutState(kafka: Kafka, admin: Admin, config: RegistryConfig): Promise<RolloutTopicState> {
  return (await readRegistry(kafka, admin, config, { models: false, rollout: true })).rollout;
}

/** Both topics, read in one pass (one consumer group join). */
export interface RegistrySnapshot {
  readonly models: PublishedModel[];
  readonly rollout: RolloutTopicState;
}

/** How long a read of the small registry topics may take, group join included. */
const REGISTRY_READ_TIMEOUT_MS = 30_000;

/** Reads the models topic, the rollout topic or both up to their end offsets now (read_committed). */
export async function readRegistry(
  kafka: Kafka,
  admin: Admin,
  config: RegistryConfig,
  which: { models: boolean; rollout: boolean } = { models: true, rollout: true },
): Promise<RegistrySnapshot> {
  const wanted = [...(which.models ? [config.topics.models] : []), ...(which.rollout ? [config.topics.rollout] : [])];
  const existing = new Set(await admin.listTopics());
  const modelRecords: ModelsTopicRecord[] = [];
  const rollout = rolloutFolder();
  await readTopicsToEnd(
    kafka,
    admin,
    wanted.filter((t) => existing.has(t)),
    (record) => {
      if (record.topic === config.topics.models) modelRecords.push(record);
      else rollout.add(record);
    },
    { groupPrefix: 'churn-scorer.registry-read', maxWaitTimeInMs: 100, timeoutMs: REGISTRY_READ_TIMEOUT_MS },
  );
  return { models: publishedModels(modelRecords), rollout: rollout.state() };
}

/** Folds rollout-topic records, in offset order, into the state workers end up in. */
function rolloutFolder(): { add(record: ModelsTopicRecord): void; state(): RolloutTopicState } {
  let current: RolloutRecord | undefined;
  let refused: RefusedRolloutRecord[] = [];
  return {
    add(record) {
      if (record.key?.toString('utf8') !== ROLLOUT_KEY) return;
      if (record.value === null) {
        // A tombstone withdraws the rollout: the workers' local model serves as champion again.
        current = undefined;
        refused = [];
        return;
      }
      const parsed = parseRolloutRecord(record.value);
      if (parsed.ok) {
        current = parsed.record;
        refused = [];
      } else {
        refused.push({ offset: record.offset, reason: parsed.reason, message: parsed.message });
      }
    },
    state: () => ({ current, refused }),
  };
}

/**
 * The transactional id of the rollout commands on this rollout topic. Every `rollout set/promote/rollback` takes
 * it before reading the rollout in force, which fences any other command still in the middle of its change; the
 * topic is in the id so that deployments sharing a cluster do not fence each other.
 */
export function rolloutAdminTransactionalId(config: RegistryConfig): string {
  return `churn-scorer.rollout-admin.${config.topics.rollout}`;
}

/** A rollout change computed from the registry as read under the admin transactional id. */
export type RolloutChange = (snapshot: RegistrySnapshot) => RolloutRecord | undefined;

/** What a rollout change did. */
export interface RolloutChangeResult {
  /** the record published; undefined when the change returned none (nothing to change) */
  readonly published: RolloutRecord | undefined;
  /** the rollout in force before */
  readonly previous: RolloutRecord | undefined;
  readonly offset: string | undefined;
}

/**
 * Read-modify-write of the rollout, made safe between concurrent operators: it takes the rollout admin
 * transactional id first (InitProducerId completes or aborts any transaction of the previous holder and fences
 * it), then reads both topics to their end, computes the change, and writes it in a transaction. A command that
 * started before and commits after this one took the id is fenced and fails with a RolloutConflictError instead
 * of publishing a revision computed from a stale rollout; a command that starts later reads this one's record.
 * `change` throwing (an invalid or unpublished rollout) aborts, and nothing is published.
 */
export async function changeRollout(
  kafka: Kafka,
  admin: Admin,
  config: RegistryConfig,
  change: RolloutChange,
): Promise<RolloutChangeResult> {
  return withRolloutTransaction(kafka, config, async (transaction) => {
    const snapshot = await readRegistry(kafka, admin, config);
    const record = change(snapshot);
    const previous = snapshot.rollout.current;
    if (record === undefined) return { published: undefined, previous, offset: undefined };
    const offset = await sendRollout(transaction, config, record);
    return { published: record, previous, offset };
  });
}

/** Writes a rollout record as it is (no read), under the admin transactional id. */
export async function publishRollout(kafka: Kafka, config: RegistryConfig, record: RolloutRecord): Promise<string> {
  return withRolloutTransaction(kafka, config, (transaction) => sendRollout(transaction, config, record));
}

async function sendRollout(transaction: Transaction, config: RegistryConfig, record: RolloutRecord): Promise<string> {
  const [sent] = await transaction.send({
    topic: config.topics.rollout,
    acks: -1,
    messages: [{ key: ROLLOUT_KEY, value: JSON.stringify(record) }],
  });
  return sent?.baseOffset ?? sent?.offset ?? '?';
}

/** The broker's answers to a producer whose transactional id another producer has taken since. */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING']);
const FENCED_CODES = new Set([90]);

const FENCED_AT_COMMIT_TYPES = new Set(['UNKNOWN_SERVER_ERROR']);

function rolloutConflict(config: RegistryConfig, cause: unknown): RolloutConflictError {
  return new RolloutConflictError(
    `another rollout command changed the rollout on ${config.topics.rollout} while this one ran; ` +
      'nothing was published: run `rollout show` and try again',
    { cause },
  );
}

async function withRolloutTransaction<T>(
  kafka: Kafka,
  config: RegistryConfig,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  const producer: Producer = kafka.producer({
    ...IDEMPOTENT_PRODUCER,
    createPartitioner: Partitioners.DefaultPartitioner,
    transactionalId: rolloutAdminTransactionalId(config),
    // The read between taking the id and committing is short; a command killed in between blocks the next
    // one only this long (the next InitProducerId aborts it sooner).
    transactionTimeout: 60_000,
  });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    let committed = false;
    try {
      const result = await work(transaction);
      try {
        await transaction.commit();
      } catch (error) {
        // The coordinator answers UNKNOWN_SERVER_ERROR to an EndTxn that races another command's InitProducerId
        // on the same id (the commit cannot move a transaction the fence is already aborting): not committed.
        if (hasKafkaType(error, FENCED_AT_COMMIT_TYPES)) throw rolloutConflict(config, error);
        throw error;
      }
      committed = true;
      return result;
    } finally {
      if (!committed) await transaction.abort().catch(() => undefined);
    }
  } catch (error) {
    if (hasKafkaType(error, FENCED_TYPES, FENCED_CODES)) throw rolloutConflict(config, error);
    throw error;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { REPO_ROOT } from './paths.js';
import { runStackScript, stackEndpoints, type ScriptRun } from './stack.js';
import { waitUntil } from './wait.js';

/** Where the chaos suite's replicated cluster lives, apart from the single-broker stack in .stack/. */
export const CLUSTER_STACK_DIR = join(REPO_ROOT, '.stack-3');
const CLUSTER_BROKERS = 3;

/** Runs scripts/stack/<script> against the cluster's STACK_DIR. */
function runClusterScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  return runStackScript(script, args, { env: { ...env, STACK_DIR: CLUSTER_STACK_DIR }, timeoutMs: 300_000 });
}

function scriptFailed(what: string, run: ScriptRun): Error {
  return new Error(
    `${what} failed (exit ${run.code}) after ${run.ms} ms:\n${run.output.split('\n').slice(-25).join('\n')}`,
  );
}

/**
 * A three-node KRaft cluster (scripts/stack/up.sh --brokers 3) with replication factor 3 and
 * min.insync.replicas 2, on free ports beside the single-broker stack. It shares the schema
 * registry the test run was given: the registry keeps its schemas in its own storage, not in
 * Kafka, so one registry serves both clusters with the same schema ids.
 */
export class ReplicatedCluster {
  private constructor(
    readonly brokers: readonly string[],
    readonly startedHere: boolean,
    readonly startMs: number,
  ) {}

  static async up(): Promise<ReplicatedCluster> {
    const wasRunning = (await runClusterScript('status.sh', [])).code === 0;
    const up = await runClusterScript(
      'up.sh',
      ['--brokers', String(CLUSTER_BROKERS), '--registry-url', stackEndpoints().registryUrl],
      {
        KAFKA_PORT: 'auto',
        KAFKA_CONTROLLER_PORT: 'auto',
      },
    );
    if (up.code !== 0)
      throw scriptFailed(`STACK_DIR=${CLUSTER_STACK_DIR} scripts/stack/up.sh --brokers ${CLUSTER_BROKERS}`, up);
    const env = readFileSync(join(CLUSTER_STACK_DIR, 'env'), 'utf8');
    const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(env)?.[1]?.split(',') ?? [];
    if (brokers.length !== CLUSTER_BROKERS)
      throw new Error(`${CLUSTER_STACK_DIR}/env lists ${brokers.length} brokers:\n${env}`);
    return new ReplicatedCluster(brokers, !wasRunning, up.ms);
  }

  /** SIGKILL one node (a crash: no controlled shutdown, no leadership hand-over). */
  async kill(nodeId: number): Promise<ScriptRun> {
    const run = await runClusterScript('broker.sh', ['kill', String(nodeId)]);
    if (run.code !== 0) throw scriptFailed(`broker.sh kill ${nodeId}`, run);
    return run;
  }

  /** Starts a node again with its data and ports; resolves once it answers and sees the whole cluster. */
  async start(nodeId: number): Promise<ScriptRun> {
    const run = await runClusterScript('broker.sh', ['start', String(nodeId)]);
    if (run.code !== 0) throw scriptFailed(`broker.sh start ${nodeId}`, run);
    return run;
  }

  /** Stops the cluster and deletes its data, unless it was running before this test file started it. */
  async down(): Promise<void> {
    if (!this.startedHere) return;
    const run = await runClusterScript('down.sh', ['--wipe']);
    if (run.code !== 0) throw scriptFailed('scripts/stack/down.sh --wipe', run);
  }
}

/** Why the cluster cannot be started here (no Java 17+), or undefined when it can. */
export function clusterUnavailableReason(): string | undefined {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error !== undefined)
    return `java not found (${java.error.message}); the replicated cluster runs Kafka from scripts/stack`;
  return undefined;
}

/** Starts the cluster in beforeAll and stops it in afterAll (when this file started it). */
export function useReplicatedCluster(): {
  readonly cluster: ReplicatedCluster | undefined;
  readonly unavailable: string | undefined;
} {
  const unavailable = clusterUnavailableReason();
  let cluster: ReplicatedCluster | undefined;
  beforeAll(async () => {
    if (unavailable === undefined) cluster = await ReplicatedCluster.up();
  });
  afterAll(async () => {
    await cluster?.down();
  });
  return {
    get cluster() {
      return cluster;
    },
    unavailable,
  };
}

/** The node that leads a partition now. */
export async function partitionLeader(admin: Admin, topic: string, partition: number): Promise<number> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const leader = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
  if (leader === undefined || leader < 0) throw new Error(`${topic}[${partition}] has no leader`);
  return leader;
}

/** Java's String.hashCode, which Kafka uses to place a consumer group on a partition of __consumer_offsets. */
function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The node coordinating a consumer group (`__consumer_offsets`) or a transactional id (`__transaction_state`):
 * the leader of the partition of that internal topic the id hashes to (Kafka's partitionFor).
 */
export async function coordinatorOf(
  admin: Admin,
  log: '__consumer_offsets' | '__transaction_state',
  id: string,
): Promise<number> {
  const metadata = await admin.fetchTopicMetadata({ topics: [log] });
  const partitions = metadata.topics[0]?.partitions ?? [];
  const hash = javaStringHash(id);
  const partition = (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions.length;
  const leader = partitions.find((p) => p.partitionId === partition)?.leader;
  if (leader === undefined || leader < 0) throw new Error(`${log}[${partition}] (coordinator of ${id}) has no leader`);
  return leader;
}

/** Partitions of the topics whose in-sync replicas are fewer than their replicas, as `topic[p] isr=a,b of a,b,c`. */
export async function underReplicated(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  return metadata.topics.flatMap((t) =>
    t.partitions
      .filter((p) => p.isr.length < p.replicas.length)
      .map((p) => `${t.name}[${p.partitionId}] isr=${p.isr.join(',')} of ${p.replicas.join(',')}`),
  );
}

/** Waits until every partition of the topics has all its replicas in sync again (a restarted node caught up). */
export async function waitForFullIsr(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  await waitUntil(async () => (await underReplicated(admin, topics)).length === 0, {
    timeoutMs,
    intervalMs: 500,
    describe: async () => `under-replicated: ${(await underReplicated(admin, topics)).join('; ')}`,
  });
}

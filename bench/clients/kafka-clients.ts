/** The Kafka clients the 'clients' section runs the worker's data path over. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../lib/results.js';
import { RUN_COMMAND, WORKER_NODE_ENV } from '../stream/worker-fleet.js';

export interface KafkaClientUnderTest {
  label: string;
  /** what the report calls it */
  client: string;
  worker: { program: readonly string[]; env?: Readonly<Record<string, string>> };
  /**
   * The Node.js version the worker needs, when not the bench's own node: one of `scripts/ci/node-versions.sh list`,
   * run from that script's cache (workerNode).
   */
  nodeVersion?: string;
}

/** The version of a bench-only client installed in bench/clients/node_modules; 'not installed' when absent. */
export function installedVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(join(REPO_ROOT, 'bench', 'clients', 'node_modules', ...name.split('/'), 'package.json'), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** The version bench/clients/package.json pins of a bench-only client. */
function pinned(name: string): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'bench', 'clients', 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return pkg.dependencies?.[name] ?? 'unpinned';
}

const PLATFORMATIC_NODE = '22.23.5';

export const KAFKA_CLIENTS: readonly KafkaClientUnderTest[] = [
  { label: 'client-kafkajs', client: 'kafkajs (bin/churn-scorer run, the default)', worker: { program: RUN_COMMAND } },
  // the control for @platformatic/kafka, which needs Node 22: the same default worker on the same Node
  {
    label: 'client-kafkajs-node22',
    client: `kafkajs (bin/churn-scorer run) on Node ${PLATFORMATIC_NODE}, the control for @platformatic/kafka`,
    worker: { program: RUN_COMMAND },
    nodeVersion: PLATFORMATIC_NODE,
  },
  {
    label: 'client-confluent',
    client: '@confluentinc/kafka-javascript (librdkafka), bench/clients/confluent-worker.ts',
    worker: { program: ['--import', 'tsx', join(REPO_ROOT, 'bench', 'clients', 'confluent-worker.ts')] },
  },
  {
    label: 'client-platformatic',
    client: `@platformatic/kafka ${pinned('@platformatic/kafka')} on Node ${PLATFORMATIC_NODE}, bench/clients/platformatic-worker.ts`,
    worker: { program: ['--import', 'tsx', join(REPO_ROOT, 'bench', 'clients', 'platformatic-worker.ts')] },
    // @platformatic/kafka 2.x needs Node >= 22.22
    nodeVersion: PLATFORMATIC_NODE,
  },
];

const NODE_VERSIONS = join(REPO_ROOT, 'scripts', 'ci', 'node-versions.sh');

/** The node binary of `version` from scripts/ci/node-versions.sh's cache; installs the versions there when missing. */
export function workerNode(version: string, log: (line: string) => void): string {
  const bin = () =>
    execFileSync('bash', [NODE_VERSIONS, 'bin', version], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    return join(bin(), 'node');
  } catch {
    log(`bash scripts/ci/node-versions.sh install (node ${version} for a bench/clients worker, once)`);
    execFileSync('bash', [NODE_VERSIONS, 'install'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 900_000,
    });
    return join(bin(), 'node');
  }
}

/** The worker as workerThroughput takes it: its program and environment, the node binary it needs among them. */
export function workerOf(client: KafkaClientUnderTest, node: string | undefined): KafkaClientUnderTest['worker'] {
  if (node === undefined) return client.worker;
  return { ...client.worker, env: { ...client.worker.env, [WORKER_NODE_ENV]: node } };
}

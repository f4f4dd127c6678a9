// Vitest globalSetup of the `integration` project: hands every test file a real
// Kafka broker and a real Confluent-compatible schema registry, through
// inject('kafkaBrokers') / inject('schemaRegistryUrl') and process.env.
//
// Where they come from, first match wins:
//   1. KAFKA_BROKERS and SCHEMA_REGISTRY_URL in the environment (CI, a shared cluster);
//   2. Docker, when an engine answers within a few seconds: apache/kafka and
//      confluentinc/cp-schema-registry containers on one network (testcontainers);
//   3. the local stack without Docker (scripts/stack/up.sh, Java + Maven), which is
//      stopped at teardown only when this setup started it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    schemaRegistryUrl: string;
  }
}

interface Stack {
  readonly source: string;
  readonly kafkaBrokers: string;
  readonly schemaRegistryUrl: string;
  readonly stop: () => Promise<void>;
}

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STACK_DIR = process.env.STACK_DIR ?? path.join(REPO_ROOT, '.stack');
// Same versions as the local stack (scripts/stack/lib.sh) and docker-compose.yml.
const KAFKA_IMAGE = 'apache/kafka:3.9.2';
const SCHEMA_REGISTRY_IMAGE = 'confluentinc/cp-schema-registry:7.9.0';
const DOCKER_PROBE_TIMEOUT_MS = 5_000;

function note(message: string): void {
  process.stderr.write(`[kafka-stack] ${message}\n`);
}

function stackFromEnvironment(): Stack | undefined {
  const kafkaBrokers = process.env.KAFKA_BROKERS?.trim();
  const schemaRegistryUrl = process.env.SCHEMA_REGISTRY_URL?.trim();
  if (!kafkaBrokers && !schemaRegistryUrl) return undefined;
  if (!kafkaBrokers || !schemaRegistryUrl) {
    throw new Error(
      'Set both KAFKA_BROKERS and SCHEMA_REGISTRY_URL (or neither, to use Docker or the local stack); ' +
        `got KAFKA_BROKERS=${kafkaBrokers ?? '<unset>'} SCHEMA_REGISTRY_URL=${schemaRegistryUrl ?? '<unset>'}`,
    );
  }
  return { source: 'environment', kafkaBrokers, schemaRegistryUrl, stop: () => Promise.resolve() };
}

async function dockerEngineAnswers(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, DOCKER_PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([getContainerRuntimeClient().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

async function startDockerStack(): Promise<Stack> {
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const network = await new Network().start();
  // The broker advertises the host port to the tests, so it must be known before start.
  const hostPort = await freePort();
  const kafka = await new GenericContainer(KAFKA_IMAGE)
    .withNetwork(network)
    .withNetworkAliases('kafka')
    .withExposedPorts({ container: 9092, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,INTERNAL://0.0.0.0:19092,CONTROLLER://0.0.0.0:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort},INTERNAL://kafka:19092`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_MIN_INSYNC_REPLICAS: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start();
  const registry = await new GenericContainer(SCHEMA_REGISTRY_IMAGE)
    .withNetwork(network)
    .withExposedPorts(8081)
    .withEnvironment({
      SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
      SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
      SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:19092',
    })
    .withWaitStrategy(Wait.forHttp('/subjects', 8081).forStatusCode(200))
    .withStartupTimeout(180_000)
    .start();
  return {
    source: `docker (${KAFKA_IMAGE}, ${SCHEMA_REGISTRY_IMAGE})`,
    kafkaBrokers: `127.0.0.1:${hostPort}`,
    schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8081)}`,
    stop: async () => {
      await registry.stop();
      await kafka.stop();
      await network.stop();
    },
  };
}

function parseEnvFile(text: string, file: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2];
  }
  for (const key of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL']) {
    if (!values[key]) throw new Error(`${file}: ${key} missing (was it written by scripts/stack/up.sh?)`);
  }
  return values;
}

async function runStackScript(script: string): Promise<void> {
  const file = path.join(REPO_ROOT, 'scripts/stack', script);
  try {
    const { stderr } = await execFileAsync('bash', [file], { cwd: REPO_ROOT, timeout: 15 * 60_000 });
    if (stderr.trim()) note(stderr.trim().split('\n').slice(-3).join('\n'));
  } catch (error) {
    const output = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`bash ${path.relative(REPO_ROOT, file)} failed:\n${output.trim()}`, { cause: error });
  }
}

async function localStackRunning(): Promise<boolean> {
  try {
    await execFileAsync('bash', [path.join(REPO_ROOT, 'scripts/stack/status.sh')], { cwd: REPO_ROOT });
    return true;
  } catch {
    return false;
  }
}

async function startLocalStack(): Promise<Stack> {
  const wasRunning = await localStackRunning();
  await runStackScript('up.sh'); // also just re-verifies a running stack
  const envFile = path.join(STACK_DIR, 'env');
  const env = parseEnvFile(await readFile(envFile, 'utf8'), envFile);
  return {
    source: wasRunning ? 'local stack (already running; left running)' : 'local stack (started; stopped at teardown)',
    kafkaBrokers: env.KAFKA_BROKERS ?? '',
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? '',
    stop: wasRunning ? () => Promise.resolve() : () => stopUnlessKept(),
  };
}

/**
 * down.sh, unless `.stack/keep` exists: several test runs in parallel on one machine share the stack, and the run
 * that happened to start it must not stop it under the others (`touch .stack/keep`; `npm run stack:down` still stops it).
 */
async function stopUnlessKept(): Promise<void> {
  if (existsSync(path.join(STACK_DIR, 'keep'))) {
    note('local stack left running (.stack/keep exists)');
    return;
  }
  await runStackScript('down.sh');
}

async function provisionStack(): Promise<Stack> {
  const fromEnvironment = stackFromEnvironment();
  if (fromEnvironment) return fromEnvironment;
  if (await dockerEngineAnswers()) return startDockerStack();
  note('no Docker engine answered; using the local stack (scripts/stack/up.sh)');
  return startLocalStack();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await provisionStack();
  note(`Kafka ${stack.kafkaBrokers}, schema registry ${stack.schemaRegistryUrl} — from ${stack.source}`);
  project.provide('kafkaBrokers', stack.kafkaBrokers);
  project.provide('schemaRegistryUrl', stack.schemaRegistryUrl);
  // Child processes (the CLI under test) find the stack the same way the app does.
  process.env.KAFKA_BROKERS = stack.kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = stack.schemaRegistryUrl;
  return async () => {
    await stack.stop();
  };
}

import { afterEach, describe, expect, it } from 'vitest';
import { startScorerApp, type ScorerApp } from '../../../src/app/scorer-app.js';
import { loadConfig, type Config, type ConfigOverrides } from '../../../src/config/index.js';
import { MissingTopicsError } from '../../../src/kafka/topics.js';
import { createLogger } from '../../../src/observability/logger.js';
import { RegistryAuthWatch, RegistryCredentialsRefusedError } from '../../../src/serde/registry-auth-watch.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import type { SchemaRegistryConnection } from '../../../src/stream/schema-registry-connection.js';
import { REPO_ROOT } from '../../support/paths.js';
import { waitUntil } from '../../support/wait.js';
import { FakeSchemaRegistry } from '../serde/fake-schema-registry.js';
import { FakeKafkaClients } from './fake-kafka-clients.js';

const TOPICS = ['customers', 'predictions', 'customers.dlq', 'customers.replay'];
const LIVE = 'consumer(churn-scorer)';
const REPLAY = 'consumer(churn-scorer.replay)';
/** The rollout follower's consumer: a group of its own per process (host, pid and a random part). */
const isFollower = (call: string) => call.startsWith('consumer(churn-scorer.rollout.');

function appConfig(overrides: ConfigOverrides = {}): Config {
  return loadConfig({
    env: {},
    repoRoot: REPO_ROOT,
    cwd: REPO_ROOT,
    // The outcome join needs consumer events and a custom assignment the fakes do not have (test/integration has it).
    args: { outcomes: { join: false }, ...overrides, http: { port: 0, host: '127.0.0.1' } },
  });
}

function fakeRegistry(credentials?: RegistryAuthWatch): SchemaRegistryConnection {
  return { client: new FakeSchemaRegistry(), url: 'http://registry.test', ...(credentials ? { credentials } : {}) };
}

/** A JSON logger whose lines the test reads, as an operator reads the service's log. */
function capturedLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    name: 'scorer-app-test',
    level: 'info',
    format: 'json',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const messages = () => lines.map((l) => String(l['msg']));
  /** The side-port's URL, from its `side-port listening on <url>` line (the service tells it no other way before it has started). */
  const sidePortAddress = async (): Promise<string> => {
    await waitUntil(() => messages().some((m) => m.startsWith('side-port listening on')), {
      timeoutMs: 10_000,
      intervalMs: 10,
      describe: () => `no side-port line in: ${messages().join(' | ')}`,
    });
    const line = lines.find((l) => String(l['msg']).startsWith('side-port listening on'));
    return String(line?.['address']);
  };
  return { logger, messages, sidePortAddress };
}

async function probe(address: string, path: '/readyz' | '/livez'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${address}${path}`);
  return { status: res.status, body: await res.json() };
}

async function waitForCall(clients: FakeKafkaClients, call: string): Promise<void> {
  await waitUntil(() => clients.calls.includes(call), {
    timeoutMs: 10_000,
    intervalMs: 10,
    describe: () => `no ${call} in: ${clients.calls.join(' | ')}`,
  });
}

const running: ScorerApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.stop()));
});

describe('startScorerApp: the service over in-process fakes of its Kafka and registry ports', () => {
  it('listens first and answers /readyz 503 with the reason until the worker has started, then 200', async () => {
    const clients = new FakeKafkaClients(TOPICS);
    const releaseAdmin = clients.hold('admin.connect');
    const logs = capturedLogs();
    const starting = startScorerApp({ config: appConfig(), clients, registry: fakeRegistry(), logger: logs.logger });

    const address = await logs.sidePortAddress();
    expect(await probe(address, '/readyz')).toEqual({
      status: 503,
      body: {
        status: 'not_ready',
        reasons: ['rollout follower reading models and models.rollout up to their end offsets'],
      },
    });
    expect((await probe(address, '/livez')).status).toBe(200);
    expect(clients.calls).toEqual(['awaitBrokers', 'admin.connect']);

    releaseAdmin();
    const app = await starting;
    running.push(app);
    expect(app.address).toBe(address);
    expect(await probe(address, '/readyz')).toEqual({ status: 200, body: { status: 'ok', reasons: [] } });
    // The live consumer takes the customers topic, a partition per configured partition at a time; replay one at a time.
    expect(clients.calls).toEqual(
      expect.arrayContaining([
        `${LIVE}.subscribe customers`,
        `${LIVE}.run 3 at a time`,
        `${REPLAY}.subscribe customers.replay`,
        `${REPLAY}.run 1 at a time`,
      ]),
    );
    expect(clients.calls.indexOf(`${LIVE}.connect`)).toBeGreaterThan(
      clients.calls.indexOf('producer(churn-scorer-startup-check).abort'),
    );
    // The rollout follower creates its two compacted topics and reads them before the worker starts.
    expect(clients.calls).toContain('admin.createTopics models,models.rollout');
    const followerCalls = clients.calls
      .filter(isFollower)
      .map((call) => call.replace(/^consumer\([^)]*\)/, 'follower'));
    expect(followerCalls).toEqual([
      'follower.connect',
      'follower.subscribe models',
      'follower.subscribe models.rollout',
      'follower.run 1 at a time',
    ]);
    expect(clients.calls.findIndex(isFollower)).toBeLessThan(clients.calls.indexOf(`${LIVE}.connect`));
    // A client without describeConfigs and without consumer events still runs, and the log says what it skips.
    expect(logs.messages()).toContain(
      'this Kafka client cannot read topic configs: max.message.bytes of the output topics not checked',
    );
    expect(logs.messages()).toContain(
      'this Kafka client reports no consumer events: readiness only says the consumer runs, and a crash it does not recover from is not noticed',
    );
  });

  it('stops the worker before the side-port: /readyz says "shutting down" while the consumers leave, then the port closes', async () => {
    const clients = new FakeKafkaClients(TOPICS);
    const logs = capturedLogs();
    const app = await startScorerApp({ config: appConfig(), clients, registry: fakeRegistry(), logger: logs.logger });
    const releaseLive = clients.hold(`${LIVE}.disconnect`);

    const stopping = app.stop();
    await waitForCall(clients, `${LIVE}.disconnect`);
    expect(await probe(app.address, '/readyz')).toEqual({
      status: 503,
      body: { status: 'not_ready', reasons: ['shutting down'] },
    });
    expect(app.readiness()).toEqual({ ok: false, reasons: ['shutting down'] });

    releaseLive();
    await stopping;
    // The worker first, then the follower: the set in force stays readable until the last transaction ends.
    expect(
      clients.callsSince(`${LIVE}.disconnect`).map((call) => (isFollower(call) ? 'follower.disconnect' : call)),
    ).toEqual([`${LIVE}.disconnect`, `${REPLAY}.disconnect`, 'admin.disconnect', 'follower.disconnect']);
    await expect(fetch(`${app.address}/livez`)).rejects.toThrow();
  });

  it('closes the side-port again when the worker cannot start, and rejects with why', async () => {
    const clients = new FakeKafkaClients(['customers', 'models', 'models.rollout']);
    const logs = capturedLogs();
    const starting = startScorerApp({
      config: appConfig({ topics: { create: false } }),
      clients,
      registry: fakeRegistry(),
      logger: logs.logger,
    });

    await expect(starting).rejects.toThrow(MissingTopicsError);
    await expect(starting).rejects.toThrow(
      'topics missing: predictions, customers.dlq, customers.replay, predictions.shadow, monitoring.drift;',
    );
    expect(clients.calls).toContain('admin.disconnect');
    // Every missing topic is named before anything starts: neither the follower nor the worker made a consumer.
    expect(clients.calls.filter((call) => call.startsWith('consumer('))).toEqual([]);
    await expect(fetch(`${await logs.sidePortAddress()}/livez`)).rejects.toThrow();
  });

  it("fails /readyz with the registry's refusal of our credentials and ends the service when it lasts", async () => {
    const credentials = new RegistryAuthWatch({ giveUpAfterMs: 200, setting: 'registry.authFailureExitMs' });
    const clients = new FakeKafkaClients(TOPICS);
    const app = await startScorerApp({
      config: appConfig(),
      clients,
      registry: fakeRegistry(credentials),
      logger: capturedLogs().logger,
    });
    running.push(app);

    credentials.refused(
      new SchemaRegistryError('schema registry getSchemaById, schema id 7: answered 401: Unauthorized', {
        operation: 'getSchemaById',
        schemaId: 7,
        status: 401,
      }),
    );
    const refused = await probe(app.address, '/readyz');
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toContain('answered 401: Unauthorized');

    const fatal = await app.fatal;
    expect(fatal).toBeInstanceOf(RegistryCredentialsRefusedError);
    expect(fatal.message).toContain('still refused after 0.2 s, registry.authFailureExitMs');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  REDACTED,
  findRepoRoot,
  loadConfig,
  redactConfig,
  type Config,
  type LoadConfigOptions,
} from '../../../src/config/index.js';

const repoRoot = findRepoRoot();

function load(env: Record<string, string>, extra: Partial<LoadConfigOptions> = {}): Config {
  return loadConfig({ env, repoRoot, cwd: '/somewhere/else', ...extra });
}

function problemsOf(env: Record<string, string>, extra: Partial<LoadConfigOptions> = {}): ConfigError {
  try {
    load(env, extra);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** Injected reader: the real defaults file plus in-memory extra files. */
function readerWith(files: Record<string, string>) {
  return (path: string) => files[path] ?? readFileSync(path, 'utf8');
}

describe('loadConfig defaults', () => {
  it('finds the repository root (the churn-scorer package) from the module location', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('churn-scorer');
  });

  it('finds the same root from the compiled location dist/config/', () => {
    expect(findRepoRoot(pathToFileURL(join(repoRoot, 'dist', 'config', 'repo-root.js')).href)).toBe(repoRoot);
    expect(findRepoRoot(pathToFileURL(join(repoRoot, 'src', 'config', 'repo-root.ts')).href)).toBe(repoRoot);
  });

  it('matches the agreed defaults, with model.dir resolved against the repository root', () => {
    const config = load({});
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      bodyLimitBytes: 1048576,
      batchMax: 1000,
      requestTimeoutMs: 15000,
      headersTimeoutMs: 10000,
      keepAliveTimeoutMs: 72000,
      maxConnections: 256,
      workers: 0,
      pressure: {
        maxEventLoopDelayMs: 1000,
        maxHeapUsedPercent: 90,
        maxRssBytes: 0,
        retryAfterSeconds: 10,
        sampleIntervalMs: 1000,
      },
      auth: { token: null, tokenFile: null, protectMetrics: true },
      dashboard: { enabled: true, customers: 10000 },
    });
    expect(config.model).toEqual({
      dir: join(repoRoot, 'models/churn/1.0.0'),
      strictCategories: false,
      followRollout: false,
      reasons: true,
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.sasl).toBeNull();
    expect(config.registry.url).toBe('http://127.0.0.1:8081');
    expect(config.topics).toMatchObject({
      customers: 'customers',
      predictions: 'predictions',
      deadLetter: 'customers.dlq',
      replay: 'customers.replay',
    });
    expect(config.stream).toMatchObject({ groupId: 'churn-scorer', transactionMaxRecords: 500, transactionMaxMs: 100 });
    expect(config.log.level).toBe('info');
  });

  it('is pure over its inputs: process.env is not consulted when env is given', () => {
    process.env['PORT'] = '1234';
    try {
      expect(load({}).http.port).toBe(8080);
    } finally {
      delete process.env['PORT'];
    }
  });
});

describe('environment overrides', () => {
  it('applies every documented variable', () => {
    const config = load({
      PORT: '9090',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'DEBUG',
      MODEL_DIR: '/opt/models/churn/2.0.0',
      STRICT_CATEGORIES: 'true',
      MODEL_FOLLOW_ROLLOUT: 'yes',
      PREDICTION_REASONS: 'off',
      KAFKA_BROKERS: 'a:9092, b:9093',
      KAFKA_CLIENT_ID: 'scorer-1',
      KAFKA_SSL: '1',
      KAFKA_SSL_CA_FILE: '/etc/ca.pem',
      KAFKA_SSL_CERT_FILE: 'certs/client.pem',
      KAFKA_SSL_KEY_FILE: '/etc/key.pem',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 's3cret-kafka',
      SCHEMA_REGISTRY_URL: 'https://registry:8081',
      SCHEMA_REGISTRY_USERNAME: 'reg',
      SCHEMA_REGISTRY_PASSWORD: 's3cret-registry',
      SCHEMA_REGISTRY_AUTH_FAILURE_EXIT_MS: '5000',
      TOPIC_CUSTOMERS: 'c',
      TOPIC_PREDICTIONS: 'p',
      TOPIC_DLQ: 'c.dlq',
      TOPIC_REPLAY: 'c.replay',
      TOPIC_PREDICTIONS_SHADOW: 'p.shadow',
      TOPIC_MODELS: 'm',
      TOPIC_ROLLOUT: 'm.rollout',
      CONSUMER_GROUP: 'g',
    });
    expect(config.http).toMatchObject({ port: 9090, host: '0.0.0.0' });
    expect(config.log.level).toBe('debug');
    expect(config.model).toEqual({
      dir: '/opt/models/churn/2.0.0',
      strictCategories: true,
      followRollout: true,
      reasons: false,
    });
    expect(config.kafka).toMatchObject({
      brokers: ['a:9092', 'b:9093'],
      clientId: 'scorer-1',
      ssl: {
        enabled: true,
        caFile: '/etc/ca.pem',
        certFile: '/somewhere/else/certs/client.pem',
        keyFile: '/etc/key.pem',
      },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 's3cret-kafka' },
    });
    expect(config.registry).toEqual({
      url: 'https://registry:8081',
      username: 'reg',
      password: 's3cret-registry',
      authFailureExitMs: 5000,
    });
    expect(config.topics).toMatchObject({
      customers: 'c',
      predictions: 'p',
      deadLetter: 'c.dlq',
      replay: 'c.replay',
      shadow: 'p.shadow',
      models: 'm',
      rollout: 'm.rollout',
    });
    expect(config.stream.groupId).toBe('g');
  });

  it('resolves a relative MODEL_DIR against the cwd, as --model (a path typed is relative to where it is typed)', () => {
    expect(load({ MODEL_DIR: 'models/churn/9.9.9' }).model.dir).toBe('/somewhere/else/models/churn/9.9.9');
    // the defaults' own path is the repository's, wherever the command runs
    expect(load({}).model.dir).toBe(join(repoRoot, 'models/churn/1.0.0'));
  });

  it('checks only the sections a command reads: `score` does not fail on a Kafka setting it never uses', () => {
    const env = { KAFKA_SASL_MECHANISM: 'plain', TOPIC_PARTITIONS: '0' };
    expect(() => load(env)).toThrow(/kafka\.sasl\.username/);
    const config = load(env, { sections: ['service', 'log', 'model', 'monitoring'] });
    expect(config.model.dir).toBe(join(repoRoot, 'models/churn/1.0.0'));
    // a problem in a section it reads still stops it
    expect(() => load({ ...env, MODEL_DIR: '' }, { sections: ['model'] })).toThrow(/model\.dir/);
  });

  it('lets command-line overrides win, with their relative paths against the cwd', () => {
    const config = load(
      { PORT: '9090', MODEL_DIR: 'x' },
      { args: { http: { port: 7070 }, model: { dir: 'my-model' } } },
    );
    expect(config.http.port).toBe(7070);
    expect(config.model.dir).toBe('/somewhere/else/my-model');
  });

  it('treats KAFKA_SASL_MECHANISM=none as no SASL', () => {
    expect(load({ KAFKA_SASL_MECHANISM: 'none', KAFKA_SASL_USERNAME: 'u' }).kafka.sasl).toBeNull();
  });
});

describe('bad values name the key and the environment variable', () => {
  it.each([
    [{ PORT: 'abc' }, 'http.port', /env PORT="abc" is not an integer/],
    [{ PORT: '70000' }, 'http.port', /65535.*env PORT="70000"/],
    [{ PORT: '' }, 'http.port', /env PORT="" is not an integer/],
    [{ KAFKA_BROKERS: '' }, 'kafka.brokers', /env KAFKA_BROKERS="" must be a non-empty/],
    [{ KAFKA_BROKERS: 'a:9092,,b:9092' }, 'kafka.brokers', /KAFKA_BROKERS/],
    [{ KAFKA_BROKERS: 'localhost' }, 'kafka.brokers.0', /env KAFKA_BROKERS="localhost"/],
    [
      { KAFKA_SASL_MECHANISM: 'bogus' },
      'kafka.sasl.mechanism',
      /env KAFKA_SASL_MECHANISM="bogus" is not a SASL mechanism; expected one of plain, scram-sha-256, scram-sha-512/,
    ],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
      'kafka.sasl.password',
      /is required \(set KAFKA_SASL_PASSWORD/,
    ],
    [{ LOG_LEVEL: 'loud' }, 'log.level', /env LOG_LEVEL="loud" is not a log level/],
    [{ STRICT_CATEGORIES: 'maybe' }, 'model.strictCategories', /env STRICT_CATEGORIES="maybe" is not a boolean/],
    [{ PREDICTION_REASONS: 'some' }, 'model.reasons', /env PREDICTION_REASONS="some" is not a boolean/],
    [{ KAFKA_SSL: 'yes please' }, 'kafka.ssl.enabled', /KAFKA_SSL/],
    [{ MODEL_DIR: '  ' }, 'model.dir', /env MODEL_DIR=.* must not be empty/],
    [{ TOPIC_DLQ: 'bad topic' }, 'topics.deadLetter', /env TOPIC_DLQ="bad topic"/],
    [{ SCHEMA_REGISTRY_URL: 'registry:8081' }, 'registry.url', /env SCHEMA_REGISTRY_URL="registry:8081"/],
  ])('%j -> %s', (env, key, message) => {
    const error = problemsOf(env);
    const problem = error.problems.find((p) => p.key === key);
    expect(problem, error.message).toBeDefined();
    expect(problem?.message).toMatch(message);
    expect(error.message).toContain(key);
  });

  it('reports every bad value at once', () => {
    const error = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', KAFKA_BROKERS: '' });
    expect(error.problems.map((p) => p.key).sort()).toEqual(['http.port', 'kafka.brokers', 'log.level']);
  });

  it('never echoes a secret value', () => {
    const error = problemsOf({ KAFKA_SASL_PASSWORD: 'hunter2-secret', SCHEMA_REGISTRY_URL: 'ftp://u:pw-secret@h' });
    expect(error.message).toMatch(/kafka\.sasl\.(mechanism|username)/);
    expect(error.message).toContain('registry.url');
    expect(error.message).not.toContain('hunter2-secret');
    expect(error.message).not.toContain('pw-secret');
  });
});

describe('CHURN_CONFIG file', () => {
  const extra = join(repoRoot, 'config', 'test-extra.json');

  it('is merged over the defaults and under the environment', () => {
    const readTextFile = readerWith({
      [extra]: JSON.stringify({ http: { port: 1111, batchMax: 5 }, stream: { transactionMaxMs: 250 } }),
    });
    const config = load({ CHURN_CONFIG: extra, PORT: '2222' }, { readTextFile });
    expect(config.http).toMatchObject({ port: 2222, batchMax: 5, host: '127.0.0.1' });
    expect(config.stream.transactionMaxMs).toBe(250);
  });

  it('rejects an unknown key and a bad value, naming the file', () => {
    const readTextFile = readerWith({ [extra]: JSON.stringify({ http: { prot: 1 }, topics: { partitions: 0 } }) });
    const error = problemsOf({ CHURN_CONFIG: extra }, { readTextFile });
    const keys = error.problems.map((p) => p.key);
    expect(keys).toContain('topics.partitions');
    expect(error.message).toContain(extra);
    expect(error.message).toMatch(/prot/);
  });

  it('reports a missing or corrupt file by path', () => {
    expect(problemsOf({ CHURN_CONFIG: '/does/not/exist.json' }).message).toMatch(
      /cannot read \/does\/not\/exist\.json/,
    );
    const readTextFile = readerWith({ [extra]: '{ nope' });
    expect(problemsOf({ CHURN_CONFIG: extra }, { readTextFile }).message).toMatch(/test-extra\.json is not valid JSON/);
  });
});

describe('redactConfig', () => {
  it('hides passwords and URL credentials but keeps everything else', () => {
    const config = load({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'hunter2',
      SCHEMA_REGISTRY_URL: 'https://reg:topsecret@registry:8081',
    });
    const safe = redactConfig(config);
    const dump = JSON.stringify(safe);
    expect(dump).not.toContain('hunter2');
    expect(dump).not.toContain('topsecret');
    expect(safe.kafka.sasl).toEqual({ mechanism: 'plain', username: 'svc', password: REDACTED });
    // the URL's credentials became basic auth: the URL has none left, the password is hidden
    expect(safe.registry).toMatchObject({ url: 'https://registry:8081', username: 'reg', password: REDACTED });
    // a config built elsewhere with credentials still in the URL is redacted too
    const raw = redactConfig({
      ...config,
      registry: { ...config.registry, url: 'https://reg:topsecret@registry:8081' },
    });
    expect(raw.registry.url).toBe(`https://reg:${REDACTED}@registry:8081`);
    expect(safe.http).toEqual(config.http);
    expect(config.kafka.sasl?.password).toBe('hunter2');
  });

  it('leaves absent secrets absent', () => {
    const safe = redactConfig(load({}));
    expect(safe.kafka.sasl).toBeNull();
    expect(safe.registry.password).toBeNull();
  });
});

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { findRepoRoot, loadConfig } from '../../../src/config/index.js';
import { redactUrl } from '../../../src/config/redact.js';
import { AvroDecoder } from '../../../src/serde/avro-decoder.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../../src/serde/cached-schema-registry.js';
import { DecodeError } from '../../../src/serde/decode-error.js';
import { HttpSchemaRegistryClient } from '../../../src/serde/http-schema-registry.js';
import { RegistryAuthWatch } from '../../../src/serde/registry-auth-watch.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { customerEventSchema } from '../../../src/serde/schema-files.js';
import { frame } from '../../../src/serde/wire-format.js';
import { FakeRegistryServer, answerJson } from './fake-registry-server.js';

const PASSWORD = 'pa@ss:w0rd/secret';
const USER = 'svc-reader';
const URL_PASSWORD = encodeURIComponent(PASSWORD);
/** The documented cap on a registry answer. */
const ONE_MIB = 1024 * 1024;

let server: FakeRegistryServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The client as the worker builds it: from the configuration, where URL credentials become username/password. */
function configuredClient(url: string, authObserver?: RegistryAuthWatch): HttpSchemaRegistryClient {
  const repoRoot = findRepoRoot();
  const { registry } = loadConfig({ env: { SCHEMA_REGISTRY_URL: url }, repoRoot, cwd: repoRoot });
  return new HttpSchemaRegistryClient({
    url: registry.url,
    username: registry.username ?? undefined,
    password: registry.password ?? undefined,
    authObserver,
  });
}

function withCredentials(url: string, password = URL_PASSWORD): string {
  return url.replace('http://', `http://${USER}:${password}@`);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** Collects pino's JSON lines, as the worker's logger would write them. */
function memoryLogger() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { logger, text: () => lines.join('') };
}

describe('HttpSchemaRegistryClient credentials', () => {
  it('sends the credentials of a user:password@ URL as basic auth, to the URL without them', async () => {
    server = await FakeRegistryServer.start((_req, res) => answerJson(res, 200, { schema: '"string"' }));
    const client = configuredClient(`${withCredentials(server.url)}/apis/ccompat/v7/`);
    await expect(client.getSchemaById(7)).resolves.toBe('"string"');
    await client.register('s-value', '"string"').catch(() => undefined);
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    expect(server.requests).toEqual([
      expect.objectContaining({ method: 'GET', url: '/apis/ccompat/v7/schemas/ids/7', authorization: basic }),
      expect.objectContaining({
        method: 'POST',
        url: '/apis/ccompat/v7/subjects/s-value/versions',
        authorization: basic,
      }),
    ]);
  });

  it('refuses credentials left in the URL it is given, without echoing the password', () => {
    const build = () => new HttpSchemaRegistryClient({ url: withCredentials('http://registry:8081') });
    expect(build).toThrow(`schema registry URL http://${USER}:[redacted]@registry:8081 has credentials in it`);
    const message = (() => {
      try {
        build();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).not.toContain(URL_PASSWORD);
    expect(message).not.toContain(PASSWORD);
  });

  it.each([
    ['GET /schemas/ids/7 (getSchemaById, schema id 7)', (client: HttpSchemaRegistryClient) => client.getSchemaById(7)],
    [
      'POST /subjects/s-value/versions (register, subject s-value)',
      (client: HttpSchemaRegistryClient) => client.register('s-value', '"int"'),
    ],
  ])(
    'reports a 401 as refused credentials with the URL, tells the observer, and no error or log line holds the password: %s',
    async (request, call) => {
      server = await FakeRegistryServer.start((_req, res) =>
        answerJson(res, 401, { error_code: 40101, message: 'Unauthorized' }),
      );
      const watch = new RegistryAuthWatch({ giveUpAfterMs: 60_000, setting: 'registry.authFailureExitMs' });
      const url = withCredentials(server.url);
      const client = configuredClient(url, watch);
      const error = await rejection(call(client));
      watch.stop();

      expect(error).toBeInstanceOf(SchemaRegistryError);
      const refused = error as SchemaRegistryError;
      expect(refused).toMatchObject({ status: 401, credentialsRefused: true, retriable: false, notFound: false });
      expect(refused.message).toBe(
        `schema registry refused our credentials (401) at ${server.url}: ${request}: Unauthorized`,
      );
      expect(watch.readiness()).toEqual({
        ok: false,
        reasons: [expect.stringContaining('refused our credentials (401) at http://127.0.0.1:')],
      });

      // What the worker logs: its start-up line and the failed batch with the error.
      const { logger, text } = memoryLogger();
      logger.info({ registry: redactUrl(url) }, 'starting stream worker');
      logger.error({ err: refused }, 'transaction failed; the batch is retried from the committed offset');
      for (const shown of [text(), refused.message, JSON.stringify(refused), JSON.stringify(watch.readiness())]) {
        expect(shown).not.toContain(PASSWORD);
        expect(shown).not.toContain(URL_PASSWORD);
      }
      expect(text()).toContain(USER);
    },
  );

  it('says that no credentials are configured when the registry asks for some', async () => {
    server = await FakeRegistryServer.start((_req, res) =>
      answerJson(res, 403, { error_code: 40301, message: 'Forbidden' }),
    );
    const error = (await rejection(
      new HttpSchemaRegistryClient({ url: server.url }).register('s-value', '"int"'),
    )) as SchemaRegistryError;
    expect(error.message).toMatch(
      /^schema registry refused our credentials \(403\) at http:\/\/127\.0\.0\.1:\d+: POST \/subjects\/s-value\/versions/,
    );
    expect(error.message).toMatch(/no credentials are configured: set registry.username\/password/);
  });

  it.each([
    ['getSchemaById', (client: HttpSchemaRegistryClient) => client.getSchemaById(1)],
    ['lookup', (client: HttpSchemaRegistryClient) => client.lookup('s-value', '"int"')],
  ])('a later accepted answer clears the refusal (%s)', async (_name, call) => {
    let refuse = true;
    server = await FakeRegistryServer.start((_req, res) =>
      refuse
        ? answerJson(res, 401, { message: 'Unauthorized' })
        : answerJson(res, 404, { error_code: 40403, message: 'Schema not found' }),
    );
    const watch = new RegistryAuthWatch({ giveUpAfterMs: 60_000 });
    const client = new HttpSchemaRegistryClient({ url: server.url, authObserver: watch });
    await rejection(call(client));
    expect(watch.readiness().ok).toBe(false);
    refuse = false;
    await rejection(call(client)); // a 404 comes only past authentication
    expect(watch.readiness()).toEqual({ ok: true, reasons: [] });
    watch.stop();
  });
});

describe('HttpSchemaRegistryClient response size cap', () => {
  const big = 'x'.repeat(ONE_MIB + 10);

  it.each([
    ['streamed without a length', false],
    ['with a Content-Length', true],
  ])('rejects a 2xx body over 1 MiB (%s), naming the limit', async (_label, withLength) => {
    server = await FakeRegistryServer.start((_req, res) => {
      const body = JSON.stringify({ schema: big });
      res.writeHead(200, withLength ? { 'Content-Length': Buffer.byteLength(body) } : {});
      // In pieces, as a large answer arrives.
      for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.slice(i, i + 64 * 1024));
      res.end();
    });
    const error = (await rejection(
      new HttpSchemaRegistryClient({ url: server.url }).getSchemaById(3),
    )) as SchemaRegistryError;
    expect(error).toBeInstanceOf(SchemaRegistryError);
    expect(error).toMatchObject({ responseTooLarge: true, retriable: false, status: 200 });
    expect(error.message).toContain(`over the limit of ${ONE_MIB} bytes`);
    expect(error.body?.length).toBeLessThanOrEqual(2_000);
  });

  it('keeps the status of an error answer over the cap (a 503 stays retriable)', async () => {
    server = await FakeRegistryServer.start((_req, res) => {
      res.writeHead(503);
      res.end(big);
    });
    const error = (await rejection(
      new HttpSchemaRegistryClient({ url: server.url }).getSchemaById(3),
    )) as SchemaRegistryError;
    expect(error).toMatchObject({ status: 503, retriable: true, responseTooLarge: false });
  });

  it('dead-letters records of a writer schema too large to fetch as schema-mismatch, asking once', async () => {
    server = await FakeRegistryServer.start((_req, res) => answerJson(res, 200, { schema: big }));
    const decoder = new AvroDecoder<CustomerEvent>({
      registry: new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: server.url })),
      readerType: customerEventSchema().type,
    });
    for (let i = 0; i < 5; i++) {
      const error = await rejection(decoder.decode(frame(42, Buffer.from([0]))));
      expect(error).toBeInstanceOf(DecodeError);
      expect(error).toMatchObject({
        reason: 'schema-mismatch',
        message: expect.stringContaining('over the limit of 1048576 bytes') as unknown,
      });
    }
    expect(server.count('/schemas/ids/42')).toBe(1);
  });
});

describe('unknown schema ids (negative cache)', () => {
  async function notFoundServer(): Promise<FakeRegistryServer> {
    return FakeRegistryServer.start((_req, res) =>
      answerJson(res, 404, { error_code: 40403, message: 'Schema not found' }),
    );
  }

  it('a flood of records with one unknown id costs one registry request within the TTL, then one more after it', async () => {
    server = await notFoundServer();
    let now = 1_000_000;
    const decoder = new AvroDecoder<CustomerEvent>({
      registry: new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: server.url }), {
        unknownIdTtlMs: 30_000,
        now: () => now,
      }),
      readerType: customerEventSchema().type,
    });
    const record = frame(999_999, Buffer.from([0, 1, 2]));
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => rejection(decoder.decode(record))));
    for (let i = 0; i < 300; i++) outcomes.push(await rejection(decoder.decode(record)));
    expect(outcomes.every((e) => e instanceof DecodeError && e.reason === 'unknown-schema-id')).toBe(true);
    expect(server.count('/schemas/ids/999999')).toBe(1);

    // A schema registered later is found once the TTL has passed.
    now += 30_001;
    await rejection(decoder.decode(record));
    expect(server.count('/schemas/ids/999999')).toBe(2);
  });

  it('remembers a bounded number of ids, forgetting the oldest first', async () => {
    server = await notFoundServer();
    const registry = new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: server.url }), {
      maxUnknownIds: 3,
    });
    for (const id of [1, 2, 3, 4]) await rejection(registry.getSchemaById(id));
    for (const id of [2, 3, 4]) await rejection(registry.getSchemaById(id));
    expect(server.requests).toHaveLength(4); // 2, 3 and 4 answered from memory
    await rejection(registry.getSchemaById(1)); // 1 was forgotten to make room for 4
    expect(server.requests).toHaveLength(5);
  });

  it('does not remember outages or refusals', async () => {
    let status = 503;
    server = await FakeRegistryServer.start((_req, res) => answerJson(res, status, { message: 'no' }));
    const registry = new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: server.url }));
    await rejection(registry.getSchemaById(5));
    status = 401;
    await rejection(registry.getSchemaById(5));
    await rejection(registry.getSchemaById(5));
    expect(server.requests).toHaveLength(3);
  });
});

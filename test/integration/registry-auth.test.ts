import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import { customerEventSchema, parseSchema } from '../../src/serde/schema-files.js';
import { customerEventEncoder, eventMessage, registryClient, telcoEvents } from '../support/events.js';
import { must } from '../support/must.js';
import { stackEndpoints } from '../support/stack.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const USER = 'svc-scorer';
const PASSWORD = 'Pr0xy-s3cret@registry';

/** What churn-scorer wrote, without the test harness's own "# ..." header lines (which list its env). */
function scorerOutput(log: string): string {
  return log
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
}

/**
 * A proxy in front of the real schema registry that wants basic auth (USER / PASSWORD), as a
 * secured registry does; `refuseAll()` makes it answer 401 to everyone, as when credentials
 * are revoked.
 */
async function authenticatingProxy(): Promise<{
  urlWith: (user: string, password: string) => string;
  refuseAll: () => void;
  close: () => Promise<void>;
}> {
  const target = stackEndpoints().registryUrl;
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  let refusing = false;
  const server: Server = createServer((req, res) => {
    if (refusing || req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":40101,"message":"Unauthorized"}');
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const upstream = await fetch(`${new URL(target).origin}${req.url ?? ''}`, {
          method: req.method ?? 'GET',
          headers: {
            'content-type': req.headers['content-type'] ?? 'application/json',
            accept: req.headers.accept ?? '*/*',
          },
          ...(body.length > 0 ? { body } : {}),
        });
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      })().catch((err: unknown) => res.writeHead(502).end(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const path = new URL(target).pathname.replace(/\/+$/, '');
  return {
    urlWith: (user, password) =>
      `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}${path}`,
    refuseAll: () => {
      refusing = true;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

describe('schema registry credentials', () => {
  let proxy: Awaited<ReturnType<typeof authenticatingProxy>>;

  beforeAll(async () => {
    proxy = await authenticatingProxy();
  });

  afterAll(async () => {
    await proxy.close();
  });

  test('refused at start-up: exits 1 with one line naming the registry, never the password', async ({ stream }) => {
    await stream.createTopics({ partitions: 1 });
    const wrong = 'wr0ng-pa55word';
    const { status, output: log } = await stream.runCli(['run'], {
      name: 'wrong',
      env: { PORT: '0', HOST: '127.0.0.1', SCHEMA_REGISTRY_URL: proxy.urlWith(USER, wrong) },
      timeoutMs: 60_000,
    });
    const output = scorerOutput(log);
    expect(status.code, output).toBe(1);
    const line = output.split('\n').find((l) => l.startsWith('churn-scorer: '));
    expect(line, output).toMatch(
      /^churn-scorer: schema registry refused our credentials \(401\) at http:\/\/127\.0\.0\.1:\d+\/\S* POST \/subjects\//,
    );
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
    expect(output).not.toContain(wrong);
    expect(output).not.toContain(encodeURIComponent(wrong));
  });

  test('credentials in the URL are sent as basic auth; revoked at run time: /readyz 503 with the reason, then exit 1', async ({
    stream,
  }) => {
    const { names } = stream;
    await stream.createTopics({ partitions: 1 });
    const worker = stream.startWorker({
      env: {
        SCHEMA_REGISTRY_URL: proxy.urlWith(USER, PASSWORD),
        SCHEMA_REGISTRY_AUTH_FAILURE_EXIT_MS: '8000',
        SHUTDOWN_DEADLINE_MS: '10000',
      },
    });
    await worker.waitForReady(); // start-up registered the schemas through the proxy: the credentials worked

    proxy.refuseAll();
    // A writer schema the worker has not seen yet makes it ask the registry (a BACKWARD-allowed extra field).
    const full = JSON.parse(customerEventSchema().text) as { fields: unknown[] };
    const evolved = parseSchema({
      ...full,
      fields: [...full.fields, { name: 'segment', type: ['null', 'string'], default: null }],
    });
    const encoder = await AvroEncoder.create<unknown>({
      registry: registryClient(),
      subject: `test.${names.suffix}.v2-value`,
      schema: evolved,
      autoRegister: true,
    });
    const event = must(telcoEvents(1)[0], 'a telco event');
    await stream.sendEvents([{ key: 'k', value: encoder.encode({ ...event, segment: null }) }]);
    // and one the worker knows, so the consumer has work either way
    await stream.sendEvents([eventMessage(await customerEventEncoder(names.customers), event)]);

    let readyz = { status: 0, body: '' };
    await waitUntil(
      async () => {
        readyz = await worker.get('/readyz').catch(() => readyz);
        return readyz.status === 503 && readyz.body.includes('refused our credentials (401)');
      },
      { timeoutMs: 30_000, describe: () => `/readyz: ${readyz.status} ${readyz.body}` },
    );
    expect(readyz.body).toContain('registry.authFailureExitMs');

    const status = await worker.waitForExit(45_000);
    expect(status.code, worker.tail()).toBe(1);
    const log = scorerOutput(worker.log());
    expect(log).toContain('still refused after 8 s');
    expect(log).toContain('"code":"CHURN_ERR_REGISTRY_AUTH_TIMEOUT"'); // the fatal log line names the error code
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(encodeURIComponent(PASSWORD));
  });
});

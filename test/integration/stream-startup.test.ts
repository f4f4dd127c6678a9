import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect } from 'vitest';
import { must } from '../support/must.js';
import { stackEndpoints } from '../support/stack.js';
import { test } from '../support/stream-fixture.js';

/**
 * A pass-through proxy in front of the schema registry that holds every request until
 * `release()`: the worker then sits in start-up (before joining its group) for as long as
 * the test wants to look at it.
 */
async function gatedRegistryProxy(): Promise<{
  url: string;
  release: () => void;
  held: () => number;
  close: () => Promise<void>;
}> {
  const target = stackEndpoints().registryUrl;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held = 0;
  const server: Server = createServer((req, res) => {
    held++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        await gate;
        try {
          const body = Buffer.concat(chunks);
          const upstream = await fetch(`${new URL(target).origin}${req.url ?? ''}`, {
            method: req.method ?? 'GET',
            headers: {
              'content-type': req.headers['content-type'] ?? 'application/json',
              accept: req.headers.accept ?? '*/*',
            },
            ...(body.length > 0 ? { body } : {}),
          });
          res.writeHead(upstream.status, {
            'content-type': upstream.headers.get('content-type') ?? 'application/json',
          });
          res.end(Buffer.from(await upstream.arrayBuffer()));
        } catch (err) {
          res.writeHead(502).end(`registry proxy: ${(err as Error).message} (${String((err as Error).cause)})`);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const path = new URL(target).pathname.replace(/\/+$/, '');
  return {
    url: `http://127.0.0.1:${port}${path}`,
    release: () => {
      release();
    },
    held: () => held,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('stream start-up', () => {
  test('with TOPICS_CREATE=false, refuses to start and names the missing topics', async ({ stream }) => {
    const { names, admin } = stream;
    // The input exists, and the rollout follower's compacted topics (it checks its own before the worker starts);
    // the worker's outputs do not.
    await stream.createTopics({ topics: [names.customers] });
    await admin.createTopics({
      waitForLeaders: true,
      topics: [names.models, names.rollout].map((topic) => ({
        topic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      })),
    });
    const { status, output } = await stream.runCli(['run'], {
      name: 'run',
      env: { TOPICS_CREATE: 'false', PORT: '0', HOST: '127.0.0.1' },
      timeoutMs: 60_000,
    });
    expect(status.code, output).not.toBe(0);
    expect(status.signal).toBeNull();
    const missingLine = /topics missing: ([^;\n"]+)/.exec(output);
    expect(missingLine, `no "topics missing" message in:\n${output}`).not.toBeNull();
    const listed = must(missingLine?.[1], 'the topics of the "topics missing" message')
      .split(',')
      .map((t) => t.trim());
    // ... and the outcome join's (OUTCOME_JOIN is on by default): the outcomes, joined and changelog topics.
    const outputs = [
      names.predictions,
      names.deadLetter,
      names.replay,
      names.shadow,
      names.drift,
      names.outcomes,
      names.joined,
      names.joinChangelog,
    ];
    expect(listed.sort()).toEqual([...outputs].sort());
    expect(output).toContain('TOPICS_CREATE');
    // nothing was created behind our back
    const existing = new Set(await admin.listTopics());
    expect(outputs.filter((t) => existing.has(t))).toEqual([]);
  });

  test('/readyz is 503 with reasons until the consumer has joined, then 200', async ({ stream }) => {
    await stream.createTopics();
    const proxy = await gatedRegistryProxy();
    try {
      const worker = stream.startWorker({ env: { SCHEMA_REGISTRY_URL: proxy.url } });
      await worker.address();
      // Wait until the worker is blocked in start-up on the registry.
      const deadline = Date.now() + 30_000;
      while (proxy.held() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(proxy.held(), 'the worker never called the schema registry').toBeGreaterThan(0);

      const before = await worker.get('/readyz');
      expect(before.status, before.body).toBe(503);
      const body = JSON.parse(before.body) as { reasons?: unknown };
      expect(Array.isArray(body.reasons) && body.reasons.length > 0, before.body).toBe(true);
      expect(JSON.stringify(body.reasons)).toMatch(/join|starting/);
      const live = await worker.get('/livez');
      expect(live.status, 'liveness must not fail during start-up').toBe(200);

      proxy.release();
      await worker.waitForReady(60_000);
      expect(worker.log()).toContain('joined consumer group');
    } finally {
      proxy.release();
      await proxy.close();
    }
  });
});

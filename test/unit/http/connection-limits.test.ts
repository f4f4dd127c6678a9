import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../src/config/index.js';
import { buildTestServer, testConfig } from './http-test-support.js';

// The side-port on a real socket with short timeouts: clients that stall or trickle must be cut off by the
// server, whatever they do, and what they made the server hold must be given back.

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listen(http: Partial<Config['http']>): Promise<{ base: string; port: number }> {
  ({ app } = await buildTestServer({ config: testConfig({ http }) }));
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { base, port: Number(new URL(base).port) };
}

interface RawClient {
  socket: Socket;
  /** resolves when the connection is closed, with what the server answered and when */
  closed: Promise<{ atMs: number; answer: string }>;
}

/** A raw TCP client that sends `first` once connected and records everything the server answers. */
function rawClient(port: number, first: string | Buffer, startedAt: number): RawClient {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (answer += chunk));
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.write(first));
  const closed = new Promise<{ atMs: number; answer: string }>((resolve) => {
    socket.on('close', () => {
      resolve({ atMs: Date.now() - startedAt, answer });
    });
  });
  return { socket, closed };
}

/** The promise's value, or undefined if it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined);
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

const statusOf = (answer: string) => /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];

function stalledBodyHead(contentLength: number): string {
  return `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;
}

/** V8's gc(), so heap figures are live data rather than garbage waiting for a collection. */
function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('request timeouts', () => {
  it('closes 500 stalled bodies within the request timeout, gives their memory back, and keeps /livez answering', async () => {
    const requestTimeoutMs = 1000;
    const { base, port } = await listen({ requestTimeoutMs, headersTimeoutMs: 500, maxConnections: 1000 });
    const gc = forceGc();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;

    // Each: headers announcing 1 MiB minus one byte, 64 KiB of it, then nothing.
    const partialBody = Buffer.alloc(64 * 1024, 'x');
    const startedAt = Date.now();
    const clients = Array.from({ length: 500 }, () =>
      rawClient(
        port,
        Buffer.concat([Buffer.from(stalledBodyHead(1024 * 1024 - 1)), Buffer.from('{"padding":"'), partialBody]),
        startedAt,
      ),
    );

    const livez: number[] = [];
    let peakRss = rssBefore;
    const state = { allClosed: false };
    const results = Promise.all(clients.map((c) => c.closed)).finally(() => {
      state.allClosed = true;
    });
    while (!state.allClosed && Date.now() - startedAt < 10_000) {
      livez.push((await fetch(`${base}/livez`)).status);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const closes = await within(results, 1000);
    for (const c of clients) c.socket.destroy();

    expect(closes, 'every stalled connection closed by the server').toBeDefined();
    const slowest = Math.max(...(closes ?? []).map((c) => c.atMs));
    // Timeout, plus Node's sweep interval (a quarter of the shorter timeout), plus slack for 2 shared cores.
    expect(slowest).toBeLessThan(requestTimeoutMs + 2000);
    const answers = new Set((closes ?? []).map((c) => statusOf(c.answer)));
    expect(answers).toEqual(new Set(['408']));
    expect((closes ?? [])[0]?.answer).toContain('"error":"request_timeout"');

    expect(livez.length).toBeGreaterThan(3);
    expect(
      livez.every((s) => s === 200),
      `livez: ${livez.join(',')}`,
    ).toBe(true);
    // 500 x 64 KiB is 32 MiB of bodies in flight (on both ends of the sockets, in this one process).
    expect(peakRss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    gc();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(24 * 1024 * 1024);
  });

  it('closes a body that trickles in one byte at a time, though it never goes quiet', async () => {
    const requestTimeoutMs = 600;
    const { port } = await listen({ requestTimeoutMs, headersTimeoutMs: 300 });
    const startedAt = Date.now();
    const client = rawClient(port, stalledBodyHead(1000), startedAt);
    let sent = 0;
    const drip = setInterval(() => {
      if (client.socket.destroyed) return;
      client.socket.write('x');
      sent++;
    }, 50);
    try {
      const closed = await within(client.closed, 5000);
      expect(closed, 'the trickling connection was closed').toBeDefined();
      expect(closed?.atMs).toBeLessThan(requestTimeoutMs + 1500);
      expect(statusOf(closed?.answer ?? '')).toBe('408');
      expect(sent).toBeGreaterThan(5);
    } finally {
      clearInterval(drip);
      client.socket.destroy();
    }
  });

  it('closes a connection that sends half its headers after the headers timeout', async () => {
    const { port } = await listen({ requestTimeoutMs: 5000, headersTimeoutMs: 400 });
    const client = rawClient(port, 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n', Date.now());
    const closed = await within(client.closed, 4000);
    client.socket.destroy();
    expect(closed?.atMs).toBeLessThan(400 + 1500);
    expect(statusOf(closed?.answer ?? '')).toBe('408');
  });

  it("answers bytes that are not HTTP with a 400 in the side-port's error shape and closes the connection", async () => {
    const { port } = await listen({});
    const client = rawClient(port, 'HELLO\r\n\r\n', Date.now());
    const closed = await within(client.closed, 4000);
    client.socket.destroy();
    expect(statusOf(closed?.answer ?? '')).toBe('400');
    const body = JSON.parse(closed?.answer.split('\r\n\r\n')[1] ?? 'null') as unknown;
    expect(body).toEqual({
      error: 'bad_request',
      message: 'Malformed HTTP request',
      fields: [{ field: '(request)', message: 'is not valid HTTP/1.1' }],
    });
  });

  it('announces and applies the keep-alive timeout', async () => {
    const { port } = await listen({ keepAliveTimeoutMs: 2000 });
    const startedAt = Date.now();
    const client = rawClient(port, 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', startedAt);
    const closed = await within(client.closed, 8000);
    client.socket.destroy();
    expect(closed?.answer).toMatch(/^HTTP\/1\.1 200/);
    expect(closed?.answer).toMatch(/Keep-Alive: timeout=2\r\n/i);
    // Node closes an idle keep-alive socket up to a second after the advertised timeout.
    expect(closed?.atMs).toBeGreaterThanOrEqual(1900);
    expect(closed?.atMs).toBeLessThan(2000 + 2500);
  });
});

describe('connection cap', () => {
  it('closes connections over http.maxConnections at once and accepts again when slots free up', async () => {
    const { base, port } = await listen({ maxConnections: 20, requestTimeoutMs: 10_000, headersTimeoutMs: 10_000 });
    const startedAt = Date.now();
    const held = Array.from({ length: 20 }, () => rawClient(port, 'GET /livez HTTP/1.1\r\n', startedAt));
    await Promise.all(held.map((c) => new Promise((resolve) => c.socket.once('connect', resolve))));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const overStartedAt = Date.now();
    const over = Array.from({ length: 10 }, () =>
      rawClient(port, 'GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', overStartedAt),
    );
    const overClosed = await within(Promise.all(over.map((c) => c.closed)), 3000);
    expect(overClosed, 'connections over the cap are closed').toBeDefined();
    for (const c of overClosed ?? []) {
      expect(c.answer).toBe('');
      expect(c.atMs).toBeLessThan(1000);
    }

    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${base}/livez`)).status).toBe(200);
  });
});

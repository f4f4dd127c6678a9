import { createServer } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { awaitKafka } from '../../src/kafka/startup-connect.js';
import { stackEndpoints } from '../support/stack.js';

/** A port nothing listens on: a broker of the list that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

describe('start-up with one broker of the list down', () => {
  it('reaches Kafka through the next broker of the list when the first one refuses connections', async () => {
    const brokers = [`127.0.0.1:${await closedPort()}`, ...stackEndpoints().brokers];
    const started = Date.now();
    await awaitKafka(
      {
        brokers,
        clientId: 'test-startup-broker-list',
        ssl: { enabled: false, rejectUnauthorized: true },
        sasl: null,
        connectionTimeoutMs: 3_000,
        requestTimeoutMs: 10_000,
      },
      pino({ level: 'silent' }),
      20_000,
    );
    // One refused attempt and its 250 ms pause, not the whole budget.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

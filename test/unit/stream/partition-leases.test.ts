import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PartitionLeases } from '../../../src/stream/partition-leases.js';
import { FakeGroupOffsets } from './fake-group-offsets.js';
import { FakeTransactionalClient } from './fake-transactional-client.js';

const GROUP = 'scorer';
const TOPIC = 'customers';

function leasesOverFakes() {
  const calls: string[] = [];
  const client = new FakeTransactionalClient(calls);
  const offsets = new FakeGroupOffsets(calls);
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const leases = new PartitionLeases(client, offsets, {
    consumerGroupId: GROUP,
    transactionalIdPrefix: GROUP,
    transactionTimeoutMs: 45_000,
    logger,
  });
  return { calls, client, offsets, leases, logs };
}

/** A promise the test settles when it wants (a broker call that has not answered yet). */
function pendingAnswer() {
  let answer: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    answer = resolve;
  });
  return { promise, answer };
}

describe('partition leases: one transactional producer per input partition', () => {
  it('fences the previous owner with an empty transaction, then reads the committed offset', async () => {
    const { calls, client, offsets, leases } = leasesOverFakes();
    offsets.commit(GROUP, TOPIC, 2, 1234);
    const lease = await leases.acquire(TOPIC, 2);

    expect(lease.transactionalId).toBe('scorer-customers-2');
    expect(lease.nextOffset).toBe(1234n);
    expect(calls).toEqual([
      'scorer-customers-2 connect',
      'scorer-customers-2 transaction',
      'scorer-customers-2 abort',
      `fetchOffsets ${GROUP}`,
    ]);
    expect(client.producers).toMatchObject([
      { transactionalId: 'scorer-customers-2', transactionTimeout: 45_000, connected: true },
    ]);
    expect(leases.isReady(TOPIC, 2)).toBe(true);
    expect(leases.isReady(TOPIC, 3)).toBe(false);
  });

  it('says -1 when the group has committed nothing for the partition', async () => {
    const { offsets, leases } = leasesOverFakes();
    offsets.commit(GROUP, TOPIC, 0, 50);
    expect((await leases.acquire(TOPIC, 1)).nextOffset).toBe(-1n);
  });

  it('opens one producer for concurrent acquires of the same partition, and hands out the same lease', async () => {
    const { client, leases } = leasesOverFakes();
    const [a, b] = await Promise.all([leases.acquire(TOPIC, 0), leases.acquire(TOPIC, 0)]);
    expect(a).toBe(b);
    expect(await leases.acquire(TOPIC, 0)).toBe(a);
    expect(client.producers).toHaveLength(1);
  });

  it('is not ready until the previous owner is fenced', async () => {
    const { client, leases } = leasesOverFakes();
    const fence = pendingAnswer();
    client.holding.set('abort', fence.promise);
    const acquiring = leases.acquire(TOPIC, 0);
    await Promise.resolve();
    expect(leases.isReady(TOPIC, 0)).toBe(false);
    fence.answer();
    await acquiring;
    expect(leases.isReady(TOPIC, 0)).toBe(true);
  });

  it.each(['connect', 'transaction', 'abort'] as const)(
    'a failed open (%s) says which partition, closes its producer and does not poison the slot',
    async (step) => {
      const { client, leases } = leasesOverFakes();
      client.failing.set(step, new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
      const failed = leases.acquire(TOPIC, 4);
      await expect(failed).rejects.toThrow('cannot take partition customers[4] (scorer-customers-4): Connection error');
      await expect(failed).rejects.toHaveProperty(
        'cause.message',
        'Connection error: connect ECONNREFUSED 127.0.0.1:9092',
      );
      expect(client.producers[0]?.disconnected).toBe(true);
      expect(leases.isReady(TOPIC, 4)).toBe(false);

      client.failing.clear();
      await leases.acquire(TOPIC, 4);
      expect(client.producers).toHaveLength(2);
      expect(leases.isReady(TOPIC, 4)).toBe(true);
    },
  );

  it('a failed read of the committed offset fails the open too: the lease would not know where to continue', async () => {
    const { offsets, leases } = leasesOverFakes();
    offsets.failWith = new Error('The group coordinator is not available');
    await expect(leases.acquire(TOPIC, 0)).rejects.toThrow('cannot take partition customers[0]');
    offsets.failWith = undefined;
    expect((await leases.acquire(TOPIC, 0)).nextOffset).toBe(-1n);
  });

  it('release closes the producer; the next acquire opens a new one and fences again', async () => {
    const { calls, client, leases } = leasesOverFakes();
    await leases.acquire(TOPIC, 0);
    await leases.release(TOPIC, 0);
    expect(client.producers[0]?.disconnected).toBe(true);
    expect(leases.isReady(TOPIC, 0)).toBe(false);

    calls.length = 0;
    await leases.acquire(TOPIC, 0);
    expect(client.producers).toHaveLength(2);
    expect(calls).toContain('scorer-customers-0 abort');
    // releasing what is not held is a no-op
    await leases.release(TOPIC, 9);
  });

  it('a release during the open leaves the partition not ready once the open finishes', async () => {
    const { client, leases } = leasesOverFakes();
    const fence = pendingAnswer();
    client.holding.set('abort', fence.promise);
    const acquiring = leases.acquire(TOPIC, 0);
    const releasing = leases.release(TOPIC, 0);
    fence.answer();
    await Promise.all([acquiring, releasing]);
    expect(leases.isReady(TOPIC, 0)).toBe(false);
    expect(client.producers[0]?.disconnected).toBe(true);
  });

  it('retainOnly keeps the leases of the partitions named and closes the others', async () => {
    const { client, leases } = leasesOverFakes();
    const kept = await leases.acquire(TOPIC, 1);
    await leases.acquire(TOPIC, 0);
    await leases.acquire(TOPIC, 2);
    await leases.acquire('customers.replay', 1);

    await leases.retainOnly(new Map([[TOPIC, [1]]]));
    expect(client.producers.filter((p) => !p.disconnected).map((p) => p.transactionalId)).toEqual([
      'scorer-customers-1',
    ]);
    expect(await leases.acquire(TOPIC, 1)).toBe(kept);
    expect([0, 1, 2].map((p) => leases.isReady(TOPIC, p))).toEqual([false, true, false]);
  });

  it('releaseAll closes every producer, and a producer that fails to close is logged, not thrown', async () => {
    const { client, leases, logs } = leasesOverFakes();
    await Promise.all([0, 1, 2].map((p) => leases.acquire(TOPIC, p)));
    client.failing.set('disconnect', new Error('socket closed'));
    await leases.releaseAll();
    expect([0, 1, 2].map((p) => leases.isReady(TOPIC, p))).toEqual([false, false, false]);
    expect(logs.filter((l) => l.msg === 'error while closing a partition producer')).toHaveLength(3);

    client.failing.clear();
    await leases.acquire(TOPIC, 0);
    expect(client.producers).toHaveLength(4);
  });
});

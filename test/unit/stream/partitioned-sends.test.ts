import kafkajs, { type Admin, type Message, type ProducerBatch, type ProducerConfig } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { onePartitionPerSend, splitByPartition, TopicPartitionCounts } from '../../../src/stream/partitioned-sends.js';

const { Partitioners } = kafkajs;

/** A kafkajs producer whose transactions record every sendBatch call. */
function recordingKafka() {
  const calls: ProducerBatch[] = [];
  const kafka = {
    producer: (_config?: ProducerConfig) => ({
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      transaction: () =>
        Promise.resolve({
          sendBatch: (batch: ProducerBatch) => {
            calls.push(batch);
            return Promise.resolve(
              (batch.topicMessages ?? []).flatMap(({ topic, messages }) =>
                messages.map((m) => ({ topicName: topic, partition: m.partition ?? -1, errorCode: 0 })),
              ),
            );
          },
          sendOffsets: () => Promise.resolve(),
          commit: () => Promise.resolve(),
          abort: () => Promise.resolve(),
        }),
    }),
  };
  return { kafka: kafka as unknown as Parameters<typeof onePartitionPerSend>[0], calls };
}

const keyed = (n: number, prefix = 'customer'): Message[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}-${i}`, value: `v${i}` }));

describe('one partition per produce request', () => {
  it('places each keyed message where kafkajs itself would, keeping the order within each partition', () => {
    const messages = keyed(300);
    const sends = splitByPartition(
      [{ topic: 'predictions', messages }],
      new Map([['predictions', 3]]),
      Partitioners.DefaultPartitioner(),
    );
    const reference = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    for (const send of sends) {
      for (const m of send.messages) {
        expect(m.partition).toBe(send.partition);
        expect(reference({ topic: 'predictions', partitionMetadata, message: { key: m.key, value: m.value } })).toBe(
          send.partition,
        );
      }
      const indexes = send.messages.map((m) => Number(String(m.value).slice(1)));
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    }
    expect(sends.map((s) => s.partition).sort()).toEqual([0, 1, 2]);
    expect(sends.reduce((n, s) => n + s.messages.length, 0)).toBe(300);
  });

  it('keeps an explicit partition and spreads keyless messages over the partitions', () => {
    const messages: Message[] = [
      { key: null, value: 'a', partition: 2 },
      ...Array.from({ length: 30 }, () => ({ key: null, value: 'x' })),
    ];
    const sends = splitByPartition(
      [{ topic: 'dlq', messages }],
      new Map([['dlq', 3]]),
      Partitioners.DefaultPartitioner(),
    );
    expect(sends.find((s) => s.messages.some((m) => m.value === 'a'))?.partition).toBe(2);
    expect(sends.map((s) => s.partition).sort()).toEqual([0, 1, 2]);
  });

  it('sends a transaction batch over two topics as one request per topic-partition and returns every record', async () => {
    const { kafka, calls } = recordingKafka();
    const counts = { count: (topic: string) => Promise.resolve(topic === 'predictions' ? 3 : 2) };
    const producer = onePartitionPerSend(kafka, counts).producer({ transactionalId: 't' });
    const txn = await producer.transaction();
    const result = await txn.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: 'predictions', messages: keyed(60) },
        { topic: 'dlq', messages: keyed(10, 'bad') },
      ],
    });
    expect(result).toHaveLength(70);
    for (const call of calls) {
      expect(call.acks).toBe(-1);
      expect(call.topicMessages).toHaveLength(1);
      const partitions = new Set(call.topicMessages?.[0]?.messages.map((m) => m.partition));
      expect(partitions.size, JSON.stringify(call)).toBe(1);
    }
    const requests = calls
      .map((c) => `${c.topicMessages?.[0]?.topic}[${c.topicMessages?.[0]?.messages[0]?.partition}]`)
      .sort();
    expect(requests).toEqual(['dlq[0]', 'dlq[1]', 'predictions[0]', 'predictions[1]', 'predictions[2]']);
  });
});

describe('partition counts of the output topics', () => {
  function countingAdmin(answers: (() => number)[]) {
    let calls = 0;
    const admin: Pick<Admin, 'fetchTopicMetadata'> = {
      fetchTopicMetadata: ({ topics } = { topics: [] }) => {
        const answer = answers[Math.min(calls++, answers.length - 1)];
        if (answer === undefined) return Promise.reject(new Error('countingAdmin needs at least one answer'));
        const count = answer();
        return Promise.resolve({
          topics: topics.map((name) => ({
            name,
            partitions: Array.from({ length: count }, (_, partitionId) => ({
              partitionId,
              leader: 1,
              partitionErrorCode: 0,
              replicas: [1],
              isr: [1],
            })),
          })),
        });
      },
    };
    return { admin, calls: () => calls };
  }

  it('reads a count once a minute, and keeps the last one while the metadata cannot be read', async () => {
    let now = 0;
    const brokerDown = () => {
      throw new Error('Connection error: connect ECONNREFUSED');
    };
    const { admin, calls } = countingAdmin([() => 3, brokerDown, () => 6]);
    const counts = new TopicPartitionCounts(admin, () => now);
    expect(await counts.count('predictions')).toBe(3);
    now = 59_000;
    expect(await counts.count('predictions')).toBe(3);
    expect(calls()).toBe(1);
    now = 61_000;
    expect(await counts.count('predictions')).toBe(3); // the read failed: the old count
    expect(await counts.count('predictions')).toBe(6); // partitions were added
    expect(calls()).toBe(3);
  });

  it('fails with the topic named when it never had a count', async () => {
    const { admin } = countingAdmin([
      () => {
        throw new Error('Connection error: connect ECONNREFUSED');
      },
    ]);
    await expect(new TopicPartitionCounts(admin).count('predictions')).rejects.toThrow(
      /partition count of predictions.*ECONNREFUSED/,
    );
  });
});

import type { Admin, ITopicConfig, PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ensureTopics, type TopicSpec } from '../../../src/kafka/topics.js';
import {
  TopicLeadersTimeoutError,
  retryUntilTopicSettles,
  waitForTopicLeaders,
} from '../../../src/kafka/topic-leaders.js';
import { must } from '../../support/must.js';

const partitions = (leaders: number[]): PartitionMetadata[] =>
  leaders.map((leader, partitionId) => ({
    partitionId,
    leader,
    partitionErrorCode: 0,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
  }));

/** kafkajs raises broker error codes as errors with a `type`. */
const brokerError = (type: string) => Object.assign(new Error(`broker said ${type}`), { type });

/** Answers fetchTopicMetadata with the next step each time; a step is metadata or an error to throw. */
function metadataSteps(steps: (Error | PartitionMetadata[])[]) {
  let call = 0;
  const admin: Pick<Admin, 'fetchTopicMetadata'> = {
    fetchTopicMetadata: ({ topics } = { topics: [] }) => {
      const step = must(steps[Math.min(call++, steps.length - 1)], 'a metadata step');
      if (step instanceof Error) return Promise.reject(step);
      return Promise.resolve({ topics: topics.map((name) => ({ name, partitions: step })) });
    },
  };
  return { admin, calls: () => call };
}

describe('waiting for the leaders of new topics', () => {
  it('waits through the UNKNOWN_TOPIC_OR_PARTITION a broker answers before it has learnt of a new topic', async () => {
    const { admin, calls } = metadataSteps([
      brokerError('UNKNOWN_TOPIC_OR_PARTITION'),
      brokerError('LEADER_NOT_AVAILABLE'),
      partitions([1, -1, 3]),
      partitions([1, 2, 3]),
    ]);
    await waitForTopicLeaders(admin, ['predictions'], { timeoutMs: 5_000, intervalMs: 1 });
    expect(calls()).toBe(4);
  });

  it('gives up after the timeout, saying what it waited for', async () => {
    const { admin } = metadataSteps([partitions([1, -1, 3])]);
    const waiting = waitForTopicLeaders(admin, ['predictions'], { timeoutMs: 50, intervalMs: 5 });
    await expect(waiting).rejects.toBeInstanceOf(TopicLeadersTimeoutError);
    await expect(waiting).rejects.toThrow(
      /predictions .*no partition leaders after 50 ms \(no leader yet for predictions\)/,
    );
  });

  it('passes any other error through at once', async () => {
    const { admin, calls } = metadataSteps([brokerError('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(waitForTopicLeaders(admin, ['predictions'], { timeoutMs: 5_000, intervalMs: 1 })).rejects.toThrow(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    expect(calls()).toBe(1);
  });
});

describe('retrying what a broker that does not know a new topic yet refuses', () => {
  it('subscribes once the broker asked knows the topic', async () => {
    let calls = 0;
    const subscribe = async () => {
      await Promise.resolve();
      if (++calls < 3) throw brokerError('UNKNOWN_TOPIC_OR_PARTITION');
      return 'subscribed';
    };
    await expect(retryUntilTopicSettles(subscribe, { timeoutMs: 5_000, intervalMs: 1 })).resolves.toBe('subscribed');
    expect(calls).toBe(3);
  });

  it("reads a new topic's offsets once the leader the metadata names has taken the partition up", async () => {
    let calls = 0;
    const fetchTopicOffsets = async () => {
      await Promise.resolve();
      if (++calls < 2) throw brokerError('NOT_LEADER_FOR_PARTITION');
      return [{ partition: 0, offset: '0', low: '0', high: '0' }];
    };
    await expect(retryUntilTopicSettles(fetchTopicOffsets, { timeoutMs: 5_000, intervalMs: 1 })).resolves.toHaveLength(
      1,
    );
    expect(calls).toBe(2);
  });

  it('passes other errors through at once, and the last one after the timeout', async () => {
    let calls = 0;
    const denied = async () => {
      calls++;
      await Promise.resolve();
      throw brokerError('TOPIC_AUTHORIZATION_FAILED');
    };
    await expect(retryUntilTopicSettles(denied, { timeoutMs: 5_000, intervalMs: 1 })).rejects.toThrow(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    expect(calls).toBe(1);
    const unknown = async () => {
      await Promise.resolve();
      throw brokerError('UNKNOWN_TOPIC_OR_PARTITION');
    };
    await expect(retryUntilTopicSettles(unknown, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      /UNKNOWN_TOPIC_OR_PARTITION/,
    );
  });
});

describe('ensureTopics on a replicated cluster', () => {
  const spec = (name: string, minInsyncReplicas: number | null): TopicSpec => ({
    name,
    partitions: 3,
    replicationFactor: 3,
    minInsyncReplicas,
    retentionMs: 604_800_000,
    maxMessageBytes: 1_048_588,
  });

  function clusterAdmin(metadata: (Error | PartitionMetadata[])[]) {
    const created: ITopicConfig[] = [];
    const { admin: metadataAdmin, calls } = metadataSteps(metadata);
    const admin = {
      ...metadataAdmin,
      listTopics: () => Promise.resolve(['customers']),
      createTopics: ({ topics }: { topics: ITopicConfig[] }) => {
        created.push(...topics);
        return Promise.resolve(true);
      },
    } as unknown as Admin;
    return { admin, created, metadataCalls: calls };
  }

  it('creates the missing topics with the replication factor and min.insync.replicas, then waits for their leaders', async () => {
    const { admin, created, metadataCalls } = clusterAdmin([
      brokerError('UNKNOWN_TOPIC_OR_PARTITION'),
      partitions([1, 2, 3]),
    ]);
    const result = await ensureTopics(admin, [spec('customers', 2), spec('predictions', 2)], { create: true });
    expect(result.created).toEqual(['predictions']);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ topic: 'predictions', numPartitions: 3, replicationFactor: 3 });
    expect(created[0]?.configEntries).toContainEqual({ name: 'min.insync.replicas', value: '2' });
    expect(metadataCalls()).toBe(2);
  });

  it("leaves min.insync.replicas to the broker's default when none is configured", async () => {
    const { admin, created } = clusterAdmin([partitions([1, 2, 3])]);
    await ensureTopics(admin, [spec('predictions', null)], { create: true });
    const entries = must(created[0]?.configEntries, 'the config entries of the created topic');
    expect(entries.map((e) => e.name)).not.toContain('min.insync.replicas');
  });
});

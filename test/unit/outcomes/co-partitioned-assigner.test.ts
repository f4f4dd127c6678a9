import kafkajs, { type Cluster, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  CO_PARTITIONED_ASSIGNER_NAME,
  coPartitionedAssigner,
  coPartitionedAssignment,
  onlyPartitionsAssigner,
  tasksOf,
} from '../../../src/outcomes/co-partitioned-assigner.js';

const { AssignerProtocol } = kafkajs;
const TOPICS = new Map([
  ['predictions', 6],
  ['predictions.shadow', 6],
  ['customers.outcomes', 6],
]);

describe('coPartitionedAssignment', () => {
  it('gives each member partition p of every topic, every partition to exactly one member', () => {
    const assignment = coPartitionedAssignment(['m-b', 'm-a', 'm-c', 'm-d'], TOPICS);
    expect([...assignment.keys()]).toEqual(['m-a', 'm-b', 'm-c', 'm-d']);
    for (const topics of assignment.values()) {
      const perTopic = Object.values(topics);
      expect(perTopic).toHaveLength(3);
      for (const partitions of perTopic) expect(partitions).toEqual(perTopic[0]);
    }
    for (const topic of TOPICS.keys()) {
      const all = [...assignment.values()].flatMap((t) => t[topic] ?? []);
      expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    }
    expect(assignment.get('m-a')).toEqual({
      predictions: [0, 4],
      'predictions.shadow': [0, 4],
      'customers.outcomes': [0, 4],
    });
    expect(tasksOf(assignment.get('m-d') ?? {})).toEqual([3]);
  });

  it('does not depend on the order members are listed in', () => {
    expect(coPartitionedAssignment(['x', 'y', 'z'], TOPICS)).toEqual(coPartitionedAssignment(['z', 'x', 'y'], TOPICS));
  });

  it('leaves the members beyond the partition count with nothing', () => {
    const assignment = coPartitionedAssignment(['a', 'b', 'c'], new Map([['t', 2]]));
    expect(assignment.get('c')).toEqual({});
  });

  it('gives a topic with fewer partitions only the ones it has', () => {
    const assignment = coPartitionedAssignment(
      ['a'],
      new Map([
        ['big', 3],
        ['small', 2],
      ]),
    );
    expect(assignment.get('a')).toEqual({ big: [0, 1, 2], small: [0, 1] });
  });
});

function cluster(counts: ReadonlyMap<string, number>): Cluster {
  return {
    findTopicPartitionMetadata: (topic: string) =>
      Array.from({ length: counts.get(topic) ?? 0 }, (_, partitionId) => ({ partitionId }) as PartitionMetadata),
  } as unknown as Cluster;
}

describe('the kafkajs assigners', () => {
  it('coPartitionedAssigner encodes the co-partitioned assignment for kafkajs', async () => {
    const assigner = coPartitionedAssigner({ cluster: cluster(TOPICS), groupId: 'g', logger: undefined as never });
    expect(assigner.name).toBe(CO_PARTITIONED_ASSIGNER_NAME);
    const protocol = assigner.protocol({ topics: [...TOPICS.keys()] });
    expect(AssignerProtocol.MemberMetadata.decode(protocol.metadata)?.topics).toEqual([...TOPICS.keys()]);
    const result = await assigner.assign({
      members: [
        { memberId: 'two', memberMetadata: protocol.metadata },
        { memberId: 'one', memberMetadata: protocol.metadata },
      ],
      topics: [...TOPICS.keys()],
    });
    const decoded = new Map(
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]),
    );
    expect(decoded.get('one')).toEqual({
      predictions: [0, 2, 4],
      'predictions.shadow': [0, 2, 4],
      'customers.outcomes': [0, 2, 4],
    });
    expect(decoded.get('two')?.['customers.outcomes']).toEqual([1, 3, 5]);
  });

  it('onlyPartitionsAssigner deals exactly the given partitions to one member', async () => {
    const assigner = onlyPartitionsAssigner(
      'changelog',
      [2, 5],
    )({
      cluster: cluster(new Map([['changelog', 6]])),
      groupId: 'g',
      logger: undefined as never,
    });
    const result = await assigner.assign({
      members: [
        { memberId: 'b', memberMetadata: Buffer.alloc(0) },
        { memberId: 'a', memberMetadata: Buffer.alloc(0) },
      ],
      topics: ['changelog'],
    });
    const decoded = new Map(
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]),
    );
    expect(decoded.get('a')).toEqual({ changelog: [2, 5] });
    expect(decoded.get('b')).toEqual({});
  });
});

import kafkajs, { type PartitionAssigner } from 'kafkajs';

// kafkajs is CommonJS and Node cannot see this export by name.
const { AssignerProtocol } = kafkajs;

/**
 * Partition assignment for the outcome join's consumer group, where a task is a partition number p across topics
 * (predictions[p], predictions.shadow[p], customers.outcomes[p]): the state of p is the customers of p, so one
 * member must read partition p of every topic. kafkajs' round robin spreads topic-partitions one by one and would
 * give predictions[0] and outcomes[0] to different members.
 */

/** topic -> partitions, per member. */
export type MemberPartitions = ReadonlyMap<string, Readonly<Record<string, readonly number[]>>>;

/**
 * Partition numbers dealt over the members in member id order (p goes to member p mod n), each member getting
 * partition p of every topic that has it (pure). Every member is in the result, with nothing when there are more
 * members than partitions. Deterministic: every member computing it would agree.
 */
export function coPartitionedAssignment(
  memberIds: readonly string[],
  partitionCounts: ReadonlyMap<string, number>,
): MemberPartitions {
  const members = [...new Set(memberIds)].sort();
  const result = new Map<string, Record<string, number[]>>(members.map((m) => [m, {}]));
  if (members.length === 0) return result;
  const tasks = Math.max(0, ...partitionCounts.values());
  for (let p = 0; p < tasks; p++) {
    const owner = result.get(members[p % members.length] as string) as Record<string, number[]>;
    for (const [topic, count] of partitionCounts) {
      if (p >= count) continue;
      (owner[topic] ??= []).push(p);
    }
  }
  return result;
}

/** The partition numbers (tasks) an assignment gives one member: the union over its topics, ascending. */
export function tasksOf(assignment: Readonly<Record<string, readonly number[]>>): number[] {
  const tasks = new Set<number>();
  for (const partitions of Object.values(assignment)) for (const p of partitions) tasks.add(p);
  return [...tasks].sort((a, b) => a - b);
}

export const CO_PARTITIONED_ASSIGNER_NAME = 'ChurnCoPartitionedAssigner';

/** coPartitionedAssignment as a kafkajs assigner (partition counts from the group leader's metadata). */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED_ASSIGNER_NAME,
  version: 0,
  assign({ members, topics }) {
    const counts = new Map(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).length]));
    const assignment = coPartitionedAssignment(
      members.map((m) => m.memberId),
      counts,
    );
    return Promise.resolve(encodeAssignment(assignment));
  },
  protocol: ({ topics }) => ({
    name: CO_PARTITIONED_ASSIGNER_NAME,
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
  }),
});

/**
 * A kafkajs assigner that gives exactly `partitions` of `topic` to one member (the first by id) and nothing to
 * any other: the changelog restore reads the partitions of its tasks, and only those, in a group of its own.
 */
export function onlyPartitionsAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  const name = 'ChurnOnlyPartitionsAssigner';
  return () => ({
    name,
    version: 0,
    assign({ members }) {
      const ids = members.map((m) => m.memberId).sort();
      const assignment: MemberPartitions = new Map(
        ids.map((id, i) => [id, i === 0 ? { [topic]: [...partitions] } : {}] as const),
      );
      return Promise.resolve(encodeAssignment(assignment));
    },
    protocol: ({ topics }) => ({
      name,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    }),
  });
}

function encodeAssignment(assignment: MemberPartitions): { memberId: string; memberAssignment: Buffer }[] {
  return [...assignment].map(([memberId, topics]) => ({
    memberId,
    memberAssignment: AssignerProtocol.MemberAssignment.encode({
      version: 0,
      assignment: Object.fromEntries(Object.entries(topics).map(([t, ps]) => [t, [...ps]])),
      userData: Buffer.alloc(0),
    }),
  }));
}

import type { Admin } from 'kafkajs';

type FetchOffsets = Admin['fetchOffsets'];
type FetchTopicOffsets = Admin['fetchTopicOffsets'];

/**
 * In-process stand-in for the admin calls the stream reads offsets with (CommittedOffsets in
 * partition-leases.ts, and the lag monitor's): the groups' committed offsets and the partitions' ends,
 * as the test sets them. `failWith` makes every call fail, as with a broker that is down.
 */
export class FakeGroupOffsets implements Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'> {
  /** `${groupId}/${topic}` -> partition -> committed offset */
  private readonly committed = new Map<string, Map<number, string>>();
  /** topic -> partition -> [low, high] */
  private readonly ends = new Map<string, Map<number, [string, string]>>();
  failWith: Error | undefined;

  /** @param calls every call, in order, as `fetchOffsets ${groupId}` or `fetchTopicOffsets ${topic}`; may be shared with other fakes */
  constructor(readonly calls: string[] = []) {}

  commit(groupId: string, topic: string, partition: number, offset: number): void {
    const key = `${groupId}/${topic}`;
    const partitions = this.committed.get(key) ?? new Map<number, string>();
    partitions.set(partition, String(offset));
    this.committed.set(key, partitions);
  }

  setEnds(topic: string, partition: number, low: number, high: number): void {
    const partitions = this.ends.get(topic) ?? new Map<number, [string, string]>();
    partitions.set(partition, [String(low), String(high)]);
    this.ends.set(topic, partitions);
  }

  readonly fetchOffsets: FetchOffsets = ({ groupId, topics }) => {
    this.calls.push(`fetchOffsets ${groupId}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    return Promise.resolve(
      (topics ?? []).map((topic) => {
        const partitions = this.committed.get(`${groupId}/${topic}`) ?? new Map<number, string>();
        // Kafka answers -1 for a partition the group has not committed.
        const known = [...(this.ends.get(topic)?.keys() ?? []), ...partitions.keys()];
        return {
          topic,
          partitions: [...new Set(known)].map((partition) => ({
            partition,
            offset: partitions.get(partition) ?? '-1',
            metadata: null,
          })),
        };
      }),
    );
  };

  readonly fetchTopicOffsets: FetchTopicOffsets = (topic) => {
    this.calls.push(`fetchTopicOffsets ${topic}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    const partitions = this.ends.get(topic) ?? new Map<number, [string, string]>();
    return Promise.resolve([...partitions].map(([partition, [low, high]]) => ({ partition, offset: high, high, low })));
  };
}

import { describe, expect, it } from 'vitest';
import { LatestCustomerEvents, type EventPosition } from '../../../src/outcomes/latest-customer-events.js';
import type { CustomerEvent } from '../../../src/serde/avro-records.js';

function event(customerid: string, eventId: string, eventTime: number): CustomerEvent {
  return { customerid, event_id: eventId, event_time: eventTime } as CustomerEvent;
}

type Read = [CustomerEvent, EventPosition];

const at = (partition: number, offset: number): EventPosition => ({ partition, offset: BigInt(offset) });

/** Two partitions as the topic holds them (A and C on 0, B and D on 1). */
const partition0: Read[] = [
  [event('A', 'a1', 100), at(0, 0)],
  [event('C', 'c1', 100), at(0, 1)],
  [event('A', 'a2', 50), at(0, 2)], // later on the partition, earlier event_time: still the latest
];
const partition1: Read[] = [
  [event('B', 'b1', 100), at(1, 0)],
  [event('D', 'd1', 100), at(1, 3)],
  [event('B', 'b2', 300), at(1, 4)],
];

function collect(reads: readonly Read[]): LatestCustomerEvents {
  const latest = new LatestCustomerEvents();
  for (const [e, position] of reads) latest.add(e, position);
  return latest;
}

const ids = (latest: LatestCustomerEvents, limit?: number) =>
  latest.inOrder(limit).map((l) => `${l.event.customerid}:${l.event.event_id}`);

describe('LatestCustomerEvents', () => {
  it("keeps each customer's last event on its partition, in the order the customers first appeared", () => {
    const latest = collect([...partition0, ...partition1]);
    expect(latest.size).toBe(4);
    // first events at offsets A 0, B 0, C 1, D 3: offset first, then partition
    expect(ids(latest)).toEqual(['A:a2', 'B:b2', 'C:c1', 'D:d1']);
  });

  it('does not depend on how the partitions were interleaved when read', () => {
    const interleaved = [partition1[0], partition0[0], partition1[1], partition0[1], partition1[2], partition0[2]];
    expect(ids(collect(interleaved as Read[]))).toEqual(ids(collect([...partition0, ...partition1])));
    expect(ids(collect([...partition1, ...partition0]))).toEqual(ids(collect([...partition0, ...partition1])));
  });

  it('--limit takes the first customers of every partition alike', () => {
    expect(ids(collect([...partition1, ...partition0]), 2)).toEqual(['A:a2', 'B:b2']);
    expect(ids(collect(partition0), 10)).toEqual(['A:a2', 'C:c1']);
  });

  it('a customer found on two partitions keeps the event with the later event_time, whichever is read first', () => {
    const early: Read = [event('X', 'x-early', 100), at(0, 5)];
    const late: Read = [event('X', 'x-late', 200), at(2, 1)];
    expect(ids(collect([early, late]))).toEqual(['X:x-late']);
    expect(ids(collect([late, early]))).toEqual(['X:x-late']);
  });
});

import type { CustomerEvent } from '../serde/avro-records.js';

/** Where an event was read. */
export interface EventPosition {
  readonly partition: number;
  readonly offset: bigint;
}

export interface LatestEvent {
  readonly event: CustomerEvent;
  readonly position: EventPosition;
}

interface Seen {
  first: EventPosition;
  latest: LatestEvent;
}

/**
 * The latest event of each customer read from the customers topic (pure). Records of one key are ordered on their
 * partition, so the latest is the one with the highest offset there; a customer found on two partitions (keyed
 * otherwise by some producer) keeps the one with the later event_time, so the choice never depends on the order
 * the partitions were read in.
 */
export class LatestCustomerEvents {
  private readonly seen = new Map<string, Seen>();

  add(event: CustomerEvent, position: EventPosition): void {
    const known = this.seen.get(event.customerid);
    if (known === undefined) {
      this.seen.set(event.customerid, { first: position, latest: { event, position } });
      return;
    }
    if (earlier(position, known.first)) known.first = position;
    if (later({ event, position }, known.latest)) known.latest = { event, position };
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Every customer's latest event in the order the customers first appeared: by the offset of their first event,
   * then partition, so `limit` takes customers from every partition alike. At most `limit` of them.
   */
  inOrder(limit?: number): LatestEvent[] {
    const all = [...this.seen.values()].sort((a, b) => compareFirst(a.first, b.first));
    return (limit === undefined ? all : all.slice(0, limit)).map((s) => s.latest);
  }
}

function compareFirst(a: EventPosition, b: EventPosition): number {
  if (a.offset !== b.offset) return a.offset < b.offset ? -1 : 1;
  return a.partition - b.partition;
}

function earlier(a: EventPosition, b: EventPosition): boolean {
  return compareFirst(a, b) < 0;
}

function later(candidate: LatestEvent, current: LatestEvent): boolean {
  if (candidate.position.partition === current.position.partition) {
    return candidate.position.offset > current.position.offset;
  }
  if (candidate.event.event_time !== current.event.event_time) {
    return candidate.event.event_time > current.event.event_time;
  }
  return candidate.position.partition > current.position.partition;
}

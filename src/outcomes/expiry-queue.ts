/**
 * The pending predictions of a join task ordered by prediction_time, oldest first (a binary min-heap), so expiry
 * reads only what is due instead of scanning the whole state on every transaction (pure, in memory).
 *
 * Deletion is lazy: a prediction resolved by a join stays in the queue until it reaches the top, where the reader
 * finds it is no longer pending and drops it. The join state rebuilds the queue when such dead entries outnumber
 * the live ones, so its size stays proportional to what is pending.
 */
export interface ExpiryEntry<T> {
  readonly time: number;
  readonly customerid: string;
  /** the pending prediction itself: an entry is live while its customer's pending list holds this very object */
  readonly item: T;
}

/**
 * Whether `a` leaves the queue before `b` by time, then customer id; an exact tie goes to `a`. The order a queue
 * keeps (insertion breaks what this leaves tied), and the one a reader of two queues must use to merge them.
 */
export function expiresBefore<T>(a: ExpiryEntry<T>, b: ExpiryEntry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.customerid <= b.customerid);
}

interface Slot<T> {
  readonly entry: ExpiryEntry<T>;
  /** insertion order: among equal times and customers the one queued first comes out first */
  readonly seq: number;
}

export class ExpiryQueue<T> {
  private readonly heap: Slot<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(entry: ExpiryEntry<T>): void {
    this.heap.push({ entry, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  peek(): ExpiryEntry<T> | undefined {
    return this.heap[0]?.entry;
  }

  pop(): ExpiryEntry<T> | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop() as Slot<T>;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top.entry;
  }

  clear(): void {
    this.heap.length = 0;
  }

  /**
   * By time, then customer, then insertion. The customer comes before insertion order so that a queue rebuilt from
   * a restored state (customer by customer, each in arrival order) gives ties the same order as the live one.
   */
  private less(a: Slot<T>, b: Slot<T>): boolean {
    const x = a.entry;
    const y = b.entry;
    if (x.time !== y.time || x.customerid !== y.customerid) return expiresBefore(x, y);
    return a.seq < b.seq;
  }

  private up(index: number): void {
    const { heap } = this;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const child = heap[i] as Slot<T>;
      const above = heap[parent] as Slot<T>;
      if (!this.less(child, above)) return;
      heap[i] = above;
      heap[parent] = child;
      i = parent;
    }
  }

  private down(index: number): void {
    const { heap } = this;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left] as Slot<T>, heap[smallest] as Slot<T>)) smallest = left;
      if (right < heap.length && this.less(heap[right] as Slot<T>, heap[smallest] as Slot<T>)) smallest = right;
      if (smallest === i) return;
      const tmp = heap[i] as Slot<T>;
      heap[i] = heap[smallest] as Slot<T>;
      heap[smallest] = tmp;
      i = smallest;
    }
  }
}

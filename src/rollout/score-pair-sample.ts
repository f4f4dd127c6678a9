import { murmur3x86_32Words } from './murmur3.js';

/**
 * A sample of (champion, shadow) score pairs in fixed memory. Until `capacity` pairs have been added it holds
 * every pair, so what is computed from it is exact; after that it holds the `capacity` pairs of smallest
 * priority, a hash of the pair's two scores (a bottom-k sample: every distinct pair has the same chance, whatever
 * the order; copies of one pair share its priority, so they stay or go together). Ties in priority are broken by
 * the scores, so the pairs kept depend only on which pairs were added: adding them in another order, or merging
 * the samples of any split of them, keeps the same pairs.
 */
export class ScorePairSample {
  readonly capacity: number;
  #size = 0;
  #added = 0;
  // A max-heap by (priority, champion, shadow): the root is the pair the next smaller one replaces.
  readonly #priority: Uint32Array;
  readonly #champion: Float64Array;
  readonly #shadow: Float64Array;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_SAMPLE_CAPACITY) {
      throw new RangeError(`sample capacity must be an integer from 1 to ${MAX_SAMPLE_CAPACITY}, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#priority = new Uint32Array(capacity);
    this.#champion = new Float64Array(capacity);
    this.#shadow = new Float64Array(capacity);
  }

  /** Pairs added (merged ones included). */
  get added(): number {
    return this.#added;
  }

  /** Pairs held: all of them while `added <= capacity`. */
  get size(): number {
    return this.#size;
  }

  add(champion: number, shadow: number): void {
    this.#added += 1;
    this.#offer(pairPriority(champion, shadow), champion, shadow);
  }

  /** Keeps what one sample of all the pairs of both would keep. */
  mergeFrom(other: ScorePairSample): void {
    this.#added += other.#added;
    for (let i = 0; i < other.#size; i++) {
      this.#offer(other.#priority[i] ?? 0, other.#champion[i] ?? 0, other.#shadow[i] ?? 0);
    }
  }

  /** Copies of the held pairs' scores, in the same (unspecified) order. */
  scores(): { champion: Float64Array; shadow: Float64Array } {
    return { champion: this.#champion.slice(0, this.#size), shadow: this.#shadow.slice(0, this.#size) };
  }

  #offer(priority: number, champion: number, shadow: number): void {
    if (this.#size < this.capacity) {
      this.#set(this.#size, priority, champion, shadow);
      this.#size += 1;
      this.#siftUp(this.#size - 1);
    } else if (this.#isBefore(priority, champion, shadow, 0)) {
      this.#set(0, priority, champion, shadow);
      this.#siftDown(0);
    }
  }

  #siftUp(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#slotBefore(parent, i)) return;
      this.#swap(parent, i);
      i = parent;
    }
  }

  #siftDown(start: number): void {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < this.#size && this.#slotBefore(largest, left)) largest = left;
      if (right < this.#size && this.#slotBefore(largest, right)) largest = right;
      if (largest === i) return;
      this.#swap(i, largest);
      i = largest;
    }
  }

  /** Whether the given pair orders before the pair in `slot`. */
  #isBefore(priority: number, champion: number, shadow: number, slot: number): boolean {
    const p = this.#priority[slot] ?? 0;
    if (priority !== p) return priority < p;
    const c = this.#champion[slot] ?? 0;
    if (champion !== c) return champion < c;
    return shadow < (this.#shadow[slot] ?? 0);
  }

  #slotBefore(a: number, b: number): boolean {
    return this.#isBefore(this.#priority[a] ?? 0, this.#champion[a] ?? 0, this.#shadow[a] ?? 0, b);
  }

  #set(slot: number, priority: number, champion: number, shadow: number): void {
    this.#priority[slot] = priority;
    this.#champion[slot] = champion;
    this.#shadow[slot] = shadow;
  }

  #swap(a: number, b: number): void {
    const priority = this.#priority[a] ?? 0;
    const champion = this.#champion[a] ?? 0;
    const shadow = this.#shadow[a] ?? 0;
    this.#set(a, this.#priority[b] ?? 0, this.#champion[b] ?? 0, this.#shadow[b] ?? 0);
    this.#set(b, priority, champion, shadow);
  }
}

/** Over a million pairs (20 MB) would no longer be a small accumulator. */
export const MAX_SAMPLE_CAPACITY = 1 << 20;

const PRIORITY_SEED = 0x5eed;

// The two scores' IEEE 754 bits, hashed as four 32-bit words; reused, as the hash runs per event.
const pairBits = new Float64Array(2);
const pairWords = new Int32Array(pairBits.buffer);

function pairPriority(champion: number, shadow: number): number {
  pairBits[0] = champion;
  pairBits[1] = shadow;
  return murmur3x86_32Words(pairWords, PRIORITY_SEED);
}

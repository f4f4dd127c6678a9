/** Test data for the rollout tests: deterministic, so a failure reproduces. */

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LETTER_CODES = 26 ** 5;
// Coprime with 26, so i -> i * MULTIPLIER mod 26^5 is one-to-one: the ids below are distinct.
const MULTIPLIER = 7_368_787;

/** The i-th of up to 26^5 distinct customer ids shaped like the Telco data's ('7590-VHVEG'). */
export function telcoCustomerId(i: number): string {
  let code = (i * MULTIPLIER) % LETTER_CODES;
  let letters = '';
  for (let j = 0; j < 5; j++) {
    letters += LETTERS[code % 26] ?? '';
    code = Math.floor(code / 26);
  }
  return `${String((i * 7919) % 10_000).padStart(4, '0')}-${letters}`;
}

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `items` cut at the given positions (each taken modulo the length). */
export function splitAt<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const positions = [...new Set(cuts.map((c) => (items.length === 0 ? 0 : c % items.length)))].sort((a, b) => a - b);
  const parts: T[][] = [];
  let start = 0;
  for (const position of positions) {
    parts.push(items.slice(start, position));
    start = position;
  }
  parts.push(items.slice(start));
  return parts;
}

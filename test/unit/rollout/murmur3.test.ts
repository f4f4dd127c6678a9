import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3x86_32, murmur3x86_32Words } from '../../../src/rollout/murmur3.js';

/**
 * The reference vectors of MurmurHash3 x86_32 (SMHasher's MurmurHash3_x86_32; the same values as Python's
 * mmh3.hash(s, seed, signed=False) and sklearn.utils.murmurhash3_32(s, seed, positive=True) over UTF-8).
 */
const VECTORS: readonly [text: string, seed: number, hash: number][] = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['aa', 0x9747b28c, 0x5d211726],
  ['aaa', 0x9747b28c, 0x283e0130],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['abc', 0, 0xb3dd93fa],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ['ππππππππ', 0x9747b28c, 0xd58063c1],
  // sklearn.utils.murmurhash3_32: a Telco id, and a 4-byte code point, a space, a 2-byte one.
  ['7590-VHVEG', 0, 0x97f9d103],
  ['\u{1F600} a\u00e9', 42, 0x796994f3],
];

/** The textbook MurmurHash3 x86_32 over a byte array: what the streaming UTF-8 version must equal. */
function referenceMurmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = bytes.length - (bytes.length % 4);
  const k1 = (k: number): number => {
    let x = Math.imul(k, c1);
    x = (x << 15) | (x >>> 17);
    return Math.imul(x, c2);
  };
  for (let i = 0; i < blocks; i += 4) {
    const k = (bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24);
    h ^= k1(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let i = bytes.length - 1; i >= blocks; i--) tail = (tail << 8) | (bytes[i] ?? 0);
  if (bytes.length > blocks) h ^= k1(tail);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('murmur3x86_32', () => {
  it.each(VECTORS)('hashes %j with seed %i to the reference value', (text, seed, hash) => {
    expect(murmur3x86_32(text, seed)).toBe(hash);
    expect(referenceMurmur3(Buffer.from(text, 'utf8'), seed)).toBe(hash);
  });

  it('hashes the UTF-8 bytes of any string, lone surrogates as U+FFFD (as Buffer.from encodes them)', () => {
    const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: anyCodeUnit, maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        expect(murmur3x86_32(s, seed)).toBe(referenceMurmur3(Buffer.from(s, 'utf8'), seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes 32-bit words as their little-endian bytes', () => {
    expect(murmur3x86_32Words([0], 0)).toBe(0x2362f9de);
    // 'abcd' is the word 0x64636261
    expect(murmur3x86_32Words([0x64636261], 0x9747b28c)).toBe(0xf0478627);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 8 }),
        fc.nat(),
        (words, seed) => {
          const bytes = new Uint8Array(Int32Array.from(words).buffer);
          expect(murmur3x86_32Words(words, seed)).toBe(referenceMurmur3(bytes, seed));
        },
      ),
    );
  });
});

/**
 * MurmurHash3 x86_32 of the UTF-8 bytes of `text` (Austin Appleby's public-domain reference, SMHasher's
 * `MurmurHash3_x86_32`): the same value as Python's `mmh3.hash(text, seed, signed=False)` and sklearn's
 * `murmurhash3_32(text, seed, positive=True)`, so anyone can check a customer's bucket by hand. No npm hash
 * library is a dependency of the project, and this one is short.
 *
 * It runs once per record, so it reads the string's UTF-8 bytes as it goes instead of encoding it into a
 * buffer first: no allocation per call.
 */
export function murmur3x86_32(text: string, seed: number): number {
  let h = seed | 0;
  let block = 0;
  let filled = 0;
  let byteLength = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let codePoint = text.charCodeAt(i);
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      const low = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (codePoint <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
        codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        // A lone surrogate encodes as U+FFFD, as TextEncoder and Buffer.from(text, 'utf8') do.
        codePoint = 0xfffd;
      }
    }
    // The code point's UTF-8 bytes, first byte lowest.
    let bytes: number;
    let count: number;
    if (codePoint < 0x80) {
      bytes = codePoint;
      count = 1;
    } else if (codePoint < 0x800) {
      bytes = 0xc0 | (codePoint >> 6) | ((0x80 | (codePoint & 0x3f)) << 8);
      count = 2;
    } else if (codePoint < 0x10000) {
      bytes =
        0xe0 | (codePoint >> 12) | ((0x80 | ((codePoint >> 6) & 0x3f)) << 8) | ((0x80 | (codePoint & 0x3f)) << 16);
      count = 3;
    } else {
      bytes =
        0xf0 |
        (codePoint >> 18) |
        ((0x80 | ((codePoint >> 12) & 0x3f)) << 8) |
        ((0x80 | ((codePoint >> 6) & 0x3f)) << 16) |
        ((0x80 | (codePoint & 0x3f)) << 24);
      count = 4;
    }
    for (let j = 0; j < count; j++) {
      block |= ((bytes >>> (8 * j)) & 0xff) << (8 * filled);
      if (++filled === 4) {
        h = mixBlock(h, block);
        block = 0;
        filled = 0;
      }
    }
    byteLength += count;
  }
  return finish(h, block, filled, byteLength);
}

/**
 * MurmurHash3 x86_32 of 32-bit words, each taken as its 4 bytes in little-endian order: the same hash as
 * `murmur3x86_32` over a string with those bytes, for keys that are numbers rather than text.
 */
export function murmur3x86_32Words(words: ArrayLike<number>, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < words.length; i++) h = mixBlock(h, words[i] ?? 0);
  return finish(h, 0, 0, 4 * words.length);
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function scramble(k: number): number {
  const mixed = Math.imul(k, C1);
  return Math.imul((mixed << 15) | (mixed >>> 17), C2);
}

function mixBlock(h: number, block: number): number {
  const x = h ^ scramble(block);
  return (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
}

/** The tail (0-3 bytes left in `block`), the length, and the final avalanche; as an unsigned 32-bit number. */
function finish(h: number, block: number, filled: number, byteLength: number): number {
  let x = filled > 0 ? h ^ scramble(block) : h;
  x ^= byteLength;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

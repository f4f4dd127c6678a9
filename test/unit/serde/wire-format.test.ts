import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/serde/decode-error.js';
import { HEADER_LENGTH, frame, parseFrame, readSchemaId } from '../../../src/serde/wire-format.js';

describe('Confluent wire format', () => {
  it('frames as magic byte 0, 4-byte big-endian schema id, then the payload', () => {
    const framed = frame(0x01020304, Buffer.from([0xaa, 0xbb]));
    expect([...framed]).toEqual([0x00, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb]);
  });

  it('parses what it frames, for ids across the whole uint32 range', () => {
    for (const id of [0, 1, 255, 256, 65_536, 0x7fffffff, 0x80000000, 0xffffffff]) {
      const parsed = parseFrame(frame(id, Buffer.from('payload')));
      expect(parsed).not.toBeInstanceOf(DecodeError);
      const { schemaId, payload } = parsed as { schemaId: number; payload: Buffer };
      expect(schemaId).toBe(id);
      expect(payload.toString()).toBe('payload');
    }
  });

  it('accepts a header with an empty payload (an Avro record can have zero bytes)', () => {
    expect(parseFrame(frame(7, Buffer.alloc(0)))).toEqual({ schemaId: 7, payload: Buffer.alloc(0) });
  });

  it('rejects schema ids outside uint32 when framing', () => {
    expect(() => frame(-1, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => frame(2 ** 32, Buffer.alloc(0))).toThrow(RangeError);
    expect(() => frame(1.5, Buffer.alloc(0))).toThrow(RangeError);
  });

  it.each([
    ['null (a tombstone)', null],
    ['undefined', undefined],
    ['zero bytes', Buffer.alloc(0)],
  ])('reports %s as empty', (_label, input) => {
    const error = parseFrame(input);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe('empty');
    expect((error as DecodeError).byteLength).toBe(0);
  });

  it('reports a first byte other than 0 as unknown-magic-byte, naming the byte', () => {
    // e.g. a plain JSON value produced without the serializer
    const error = parseFrame(Buffer.from('{"customerid":"x"}'));
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe('unknown-magic-byte');
    expect((error as DecodeError).message).toContain('0x7b');
    expect((error as DecodeError).message).toContain('18 bytes');
  });

  it.each([1, 2, 3, 4])('reports a %i-byte value starting with 0 as truncated', (length) => {
    const error = readSchemaId(Buffer.alloc(length));
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).reason).toBe('truncated');
    expect((error as DecodeError).message).toContain(`${length} bytes`);
  });

  it('reads the id of a full header without copying', () => {
    const buf = frame(4242, Buffer.from([1, 2, 3]));
    expect(readSchemaId(buf)).toBe(4242);
    const parsed = parseFrame(buf) as { payload: Buffer };
    expect(parsed.payload.buffer).toBe(buf.buffer);
    expect(parsed.payload.byteOffset).toBe(buf.byteOffset + HEADER_LENGTH);
  });
});

import { describe, expect, it } from 'vitest';
import { parseReplayBound, resolveRanges, ReplayRangeError, totalRecords } from '../../../src/replay/replay-range.js';

describe('parseReplayBound', () => {
  it('reads a plain integer as an offset', () => {
    expect(parseReplayBound('1500', '--from')).toEqual({ kind: 'offset', offset: 1500n, text: '1500' });
  });

  it('reads ISO 8601 times with their zone, and a date as midnight UTC', () => {
    const bound = parseReplayBound('2026-11-21T09:00:00Z', '--from');
    expect(bound).toMatchObject({ kind: 'time', ms: Date.UTC(2026, 10, 21, 9, 0, 0) });
    expect(parseReplayBound('2026-11-21', '--to')).toMatchObject({ kind: 'time', ms: Date.UTC(2026, 10, 21) });
    expect(parseReplayBound('2026-11-21T09:00:00.250+01:00', '--to')).toMatchObject({
      kind: 'time',
      ms: Date.UTC(2026, 10, 21, 8, 0, 0, 250),
    });
  });

  it('refuses a time without a zone (the host would pick it), saying how to write one', () => {
    expect(() => parseReplayBound('2026-11-21T09:00', '--from')).toThrow(
      /--from "2026-11-21T09:00": a time needs its zone, e\.g\. 2026-11-21T09:00Z \(UTC\)/,
    );
  });

  it.each(['yesterday', '-5', '1.5', '2026-13-45T99:00:00Z', '', 'March 7'])('rejects %j naming the flag', (text) => {
    expect(() => parseReplayBound(text, '--from')).toThrow(ReplayRangeError);
    expect(() => parseReplayBound(text, '--from')).toThrow(/--from/);
  });
});

describe('resolveRanges', () => {
  const logs = [
    { partition: 0, low: 0n, high: 100n },
    { partition: 1, low: 10n, high: 50n },
  ];

  it('applies an offset bound to every partition, clamped to the log', () => {
    const ranges = resolveRanges(
      logs,
      parseReplayBound('20', '--from'),
      parseReplayBound('60', '--to'),
      undefined,
      undefined,
    );
    expect(ranges).toEqual([
      { partition: 0, start: 20n, end: 60n },
      { partition: 1, start: 20n, end: 50n },
    ]);
    expect(totalRecords(ranges)).toBe(70n);
  });

  it('uses the broker offsets for time bounds and the log end when --to is absent', () => {
    const from = parseReplayBound('2026-11-21T09:00:00Z', '--from');
    const fromTimes = new Map([
      [0, 40n],
      [1, 50n],
    ]);
    expect(resolveRanges(logs, from, undefined, fromTimes, undefined)).toEqual([
      { partition: 0, start: 40n, end: 100n },
      { partition: 1, start: 50n, end: 50n },
    ]);
  });

  it('refuses a range that ends before it starts', () => {
    expect(() =>
      resolveRanges(
        logs,
        parseReplayBound('2026-11-21T10:00:00Z', '--from'),
        parseReplayBound('2026-11-21T09:00:00Z', '--to'),
        undefined,
        undefined,
      ),
    ).toThrow(/before --from/);
    expect(() =>
      resolveRanges(logs, parseReplayBound('9', '--from'), parseReplayBound('3', '--to'), undefined, undefined),
    ).toThrow(/before --from/);
  });
});

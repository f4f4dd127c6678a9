import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLAY_TRANSACTION_MS,
  defaultRescoreRate,
  estimateReplay,
  percentOff,
  type RangeSample,
} from '../../../src/replay/replay-estimate.js';

const sample = (overrides: Partial<RangeSample> = {}): RangeSample => ({
  records: 1000,
  matched: 1000,
  joinMs: 500,
  readMs: 250,
  wholeRange: false,
  ...overrides,
});

describe('estimateReplay', () => {
  it('compare: setup plus the longer of copying (at the sampled read rate) and rescoring (at the expected rate)', () => {
    // read rate 1000 / 0.25 s = 4000/s: read 10,000 and write 10,000 in 5 s; rescoring 10,000 at 1000/s = 10 s
    const estimate = estimateReplay({
      rangeRecords: 10_000,
      filtered: false,
      sample: sample(),
      rescoreRate: 1000,
      compare: true,
    });
    expect(estimate).toEqual({
      copies: 10_000,
      copiesExact: true,
      readRate: 4000,
      setupSeconds: 0.5,
      copySeconds: 5,
      rescoreSeconds: 10,
      totalSeconds: 10.5,
    });
  });

  it('compare: a copy slower than the rescoring sets the pace', () => {
    const estimate = estimateReplay({
      rangeRecords: 10_000,
      filtered: false,
      sample: sample({ readMs: 5000 }),
      rescoreRate: 5000,
      compare: true,
    });
    // read 200/s: 100 s of copying (read and write) against 2 s of rescoring
    expect(estimate.copySeconds).toBe(100);
    expect(estimate.totalSeconds).toBe(100.5);
  });

  it('plain replay: the command only copies, so the rescoring is not in the total', () => {
    const estimate = estimateReplay({
      rangeRecords: 10_000,
      filtered: false,
      sample: sample(),
      rescoreRate: 1000,
      compare: false,
    });
    expect(estimate.totalSeconds).toBe(5.5);
    expect(estimate.rescoreSeconds).toBe(10);
  });

  it('--customer: the copies are the share of the sample that matched, exact only when the sample is the range', () => {
    const partial = estimateReplay({
      rangeRecords: 10_000,
      filtered: true,
      sample: sample({ matched: 30 }),
      rescoreRate: 1000,
      compare: true,
    });
    expect(partial.copies).toBe(300);
    expect(partial.copiesExact).toBe(false);
    // every record of the range is still read, only the 300 kept are written
    expect(partial.copySeconds).toBe(2.575);
    expect(partial.rescoreSeconds).toBe(0.3);

    const whole = estimateReplay({
      rangeRecords: 1000,
      filtered: true,
      sample: sample({ matched: 7, wholeRange: true }),
      rescoreRate: 1000,
      compare: true,
    });
    expect(whole.copies).toBe(7);
    expect(whole.copiesExact).toBe(true);
  });

  it('an empty range takes nothing', () => {
    const estimate = estimateReplay({
      rangeRecords: 0,
      filtered: false,
      sample: sample({ records: 0, matched: 0, wholeRange: true }),
      rescoreRate: 1000,
      compare: true,
    });
    expect(estimate.totalSeconds).toBe(0);
    expect(estimate.copies).toBe(0);
  });

  it('a sample read within a millisecond counts as one millisecond, not an infinite rate', () => {
    const estimate = estimateReplay({
      rangeRecords: 100,
      filtered: false,
      sample: sample({ records: 100, readMs: 0, wholeRange: true }),
      rescoreRate: 1000,
      compare: true,
    });
    expect(estimate.readRate).toBe(100_000);
    expect(Number.isFinite(estimate.totalSeconds)).toBe(true);
  });

  it('refuses a rate that is not positive', () => {
    expect(() =>
      estimateReplay({ rangeRecords: 1, filtered: false, sample: sample(), rescoreRate: 0, compare: true }),
    ).toThrow(RangeError);
  });
});

describe('defaultRescoreRate', () => {
  it('is one replay transaction of replayMaxRecordsPerBatch records per DEFAULT_REPLAY_TRANSACTION_MS', () => {
    expect(defaultRescoreRate(100)).toBeCloseTo((100 * 1000) / DEFAULT_REPLAY_TRANSACTION_MS, 9);
    expect(defaultRescoreRate(200)).toBeCloseTo(2 * defaultRescoreRate(100), 9);
  });
});

describe('percentOff', () => {
  it('is the difference in percent of the expected duration, positive when slower', () => {
    expect(percentOff(10, 12)).toBeCloseTo(20, 9);
    expect(percentOff(10, 8)).toBeCloseTo(-20, 9);
    expect(percentOff(0, 3)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { CompareTally } from '../../../src/replay/compare-tally.js';
import { estimateReplay } from '../../../src/replay/replay-estimate.js';
import {
  comparisonLines,
  customerFilterLine,
  estimateLines,
  rangeLines,
  timingLine,
} from '../../../src/replay/replay-report.js';

describe('timingLine', () => {
  it('says how far the estimate was, and which way', () => {
    expect(timingLine(10, 12)).toBe('expected ~10 s, took 12 s (20% off, slower)');
    expect(timingLine(4, 3)).toBe('expected ~4.0 s, took 3.0 s (25% off, faster)');
    expect(timingLine(0, 0.2)).toBe('expected ~0.0 s, took 0.2 s (no estimate)');
  });
});

describe('rangeLines', () => {
  it('lists each partition and the total', () => {
    expect(
      rangeLines([
        { partition: 0, start: 0n, end: 100n },
        { partition: 1, start: 5n, end: 5n },
      ]),
    ).toEqual([
      'range: 2 partitions, 100 records',
      '  partition 0: offsets [0, 100), 100 records',
      '  partition 1: offsets [5, 5), 0 records',
    ]);
  });
});

describe('estimate lines', () => {
  const sample = { records: 1000, matched: 10, joinMs: 500, readMs: 250, wholeRange: false };

  it('state the model: setup, copy at the sampled rate, rescoring at the rate and where it came from', () => {
    const estimate = estimateReplay({
      rangeRecords: 10_000,
      filtered: false,
      sample,
      rescoreRate: 2000,
      compare: true,
    });
    const lines = estimateLines(
      estimate,
      sample,
      { recordsPerSecond: 2000, source: { kind: 'default', recordsPerTransaction: 100, transactionMs: 50 } },
      true,
    );
    expect(lines[0]).toBe('expected ~5.5 s = setup 0.5 s + max(copy 5.0 s, rescoring 5.0 s)');
    expect(lines.join('\n')).toMatch(
      /writes the copies, each at the rate a sample of 1000 records was read \(4000 records\/s\)/,
    );
    expect(lines.join('\n')).toMatch(/10000 copies at 2000 records\/s \(default: 100 records per replay transaction/);
  });

  it('say when the --customer count is an upper bound and when it is exact', () => {
    const partial = estimateReplay({ rangeRecords: 10_000, filtered: true, sample, rescoreRate: 2000, compare: true });
    expect(customerFilterLine(partial, sample, 10_000)).toBe(
      '--customer: at most 10000 records (the range; the filter is applied while copying); 10 of 1000 sampled records match, so about 100',
    );
    const wholeSample = { ...sample, wholeRange: true };
    const exact = estimateReplay({
      rangeRecords: 1000,
      filtered: true,
      sample: wholeSample,
      rescoreRate: 2000,
      compare: true,
    });
    expect(customerFilterLine(exact, wholeSample, 1000)).toBe(
      '--customer: 10 of the 1000 records match (exact: the whole range was read)',
    );
  });
});

describe('comparisonLines', () => {
  it('prints both sides and the comparison to 4 decimals', () => {
    const tally = new CompareTally(2);
    const at = (offset: number, role: 'champion' | 'candidate', score: number) => ({
      partition: 0,
      offset,
      role,
      customerid: `c${offset}`,
      modelVersion: role === 'champion' ? '1.0.0' : '1.1.0',
      score,
      churn: score >= 0.5,
      threshold: 0.5,
    });
    tally.addPrediction(at(0, 'champion', 0.25));
    tally.addPrediction(at(0, 'candidate', 0.75));
    tally.addPrediction(at(1, 'champion', 0.5));
    tally.addPrediction(at(1, 'candidate', 0.5));
    tally.addDeadLetter({ partition: 0, offset: 2, reason: 'invalid-customer' });
    const text = comparisonLines(tally.summary(), '1.1.0').join('\n');
    expect(text).toMatch(/compared on 2 events/);
    expect(text).toMatch(/champion 1\.0\.0 +candidate 1\.1\.0/);
    expect(text).toMatch(/mean score +0\.3750 +0\.6250/);
    expect(text).toMatch(/churn rate +0\.5000 +1\.0000/);
    expect(text).toMatch(/agreement +0\.5000/);
    expect(text).toMatch(/mean \|dp\| +0\.2500/);
    expect(text).toMatch(/decision changes +1 no churn -> churn \(1 customers\), 0 churn -> no churn \(0 customers\)/);
    expect(text).toMatch(/dead-lettered +1 copies \(invalid-customer: 1\)/);
  });
});

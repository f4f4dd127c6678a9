import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRatios, guardedRatios, publishedRatios, regressionLines } from '../../../bench/regression-guard.js';
import type { BenchReport } from '../../../bench/report.js';

/** The slice of a report the guard reads: a scoring section and a peers section. */
function report(scoreRatio: number, workerPerCpu: number, peerPerCpu: number): Partial<BenchReport> {
  const drain = (perCpu: number) => ({ events_per_second: 20_000, events_per_cpu_second: perCpu });
  return {
    score: { ratios: { 'single record, validate + score': scoreRatio } },
    peers: {
      partitions: 3,
      events: 200_000,
      phase_seconds: 15,
      runs: [
        { label: 'worker', name: 'churn-scorer', command: 'run', drain: drain(workerPerCpu) },
        { label: 'kafka-streams', name: 'peer', command: 'java', drain: drain(peerPerCpu) },
      ],
    },
  } as unknown as Partial<BenchReport>;
}

describe('the bench regression guard', () => {
  it('flags a ratio that fell by more than 20% against the published run, and only that one', () => {
    const published = new Map(
      guardedRatios(report(190, 26_000, 21_000)).map((r) => [r.name, { value: r.value, source: 'published.json' }]),
    );
    const rows = compareRatios(guardedRatios(report(180, 18_000, 21_000)), published);
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(byName.get('scoring: single record vs sklearn')?.fell).toBe(false);
    const perCpu = byName.get('events per CPU-second vs the Kafka Streams peer');
    expect(perCpu?.fell).toBe(true);
    expect(perCpu?.change).toBeCloseTo(18_000 / 26_000 - 1, 9);
    const lines = regressionLines(rows);
    expect(lines[0]).toContain('1 ratio(s) fell');
    expect(lines.filter((l) => l.startsWith('FELL'))).toHaveLength(1);
  });

  it('compares nothing a run did not measure, and says so', () => {
    const published = new Map([['scoring: single record vs sklearn', { value: 190, source: 'x.json' }]]);
    expect(compareRatios(guardedRatios({}), published)).toEqual([]);
    expect(regressionLines([])).toEqual(['regression guard: no ratio of this run has a published counterpart']);
  });

  it('reads the published files the index lists, a later file winning a ratio both have', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ report: report(100, 1, 1) }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ report: report(200, 1, 1) }));
    writeFileSync(join(dir, 'published.json'), JSON.stringify({ files: ['a.json', 'b.json'] }));
    expect(publishedRatios(dir).get('scoring: single record vs sklearn')).toEqual({ value: 200, source: 'b.json' });
  });
});

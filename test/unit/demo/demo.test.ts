import { describe, expect, it } from 'vitest';
import {
  percentile,
  summarize,
  variantAgreement,
  variantSplit,
  type ScoredCustomer,
} from '../../../src/demo/demo-summary.js';
import { agreementLine, publishedLine, rolloutLine, splitLines } from '../../../src/demo/rollout-report.js';
import { loadTelcoCustomers, parseTelcoCsv } from '../../../src/demo/telco-events.js';

describe('Telco CSV -> customers', () => {
  it('reads all 7,043 customers of data/ with raw spellings and blank TotalCharges as 0', () => {
    const customers = loadTelcoCustomers();
    expect(customers).toHaveLength(7043);
    expect(customers[0]).toMatchObject({
      customerid: '7590-VHVEG',
      gender: 'Female',
      seniorcitizen: 0,
      tenure: 1,
      multiplelines: 'No phone service',
      internetservice: 'DSL',
      contract: 'Month-to-month',
      paymentmethod: 'Electronic check',
      monthlycharges: 29.85,
      totalcharges: 29.85,
    });
    expect(customers.filter((c) => c.tenure === 0 && c.totalcharges === 0)).toHaveLength(11);
  });

  it('names the row and column when a column is missing', () => {
    expect(() => parseTelcoCsv('customerID,gender\r\nx,Female\r\n')).toThrow(/row 2 has no column SeniorCitizen/);
  });
});

describe('demo summary', () => {
  it('computes churn rate, the riskiest quarter and latency percentiles', () => {
    const scored = Array.from({ length: 8 }, (_, i) => ({
      customerid: `c${i}`,
      probability: i / 10,
      churn: i / 10 >= 0.5,
      latencyMs: (i + 1) * 10,
      variant: 'champion',
      version: '1.0.0',
      reasons: [],
    }));
    const summary = summarize(scored);
    expect(summary.predictions).toBe(8);
    expect(summary.churned).toBe(3);
    expect(summary.churnRate).toBeCloseTo(3 / 8);
    expect(summary.campaignSize).toBe(2);
    expect(summary.campaignCutoff).toBeCloseTo(0.6);
    expect(summary.topTen.map((c) => c.customerid)).toEqual(['c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1', 'c0']);
    expect(summary.latencyMs).toEqual({ p50: 40, p95: 80, p99: 80, max: 80 });
  });

  it('nearest-rank percentile', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([], 0.5)).toBe(0);
  });
});

function customer(customerid: string, variant: string, version: string): ScoredCustomer {
  return { customerid, probability: 0.5, churn: true, latencyMs: 1, variant, version, reasons: [] };
}

describe('the rollout act: split by variant and HTTP agreement', () => {
  const scored = [
    customer('a', 'canary', '1.1.0'),
    customer('b', 'champion', '1.0.0'),
    customer('c', 'champion', '1.0.0'),
    customer('d', 'champion', '1.0.0'),
  ];

  it('counts customers per variant, the champion first', () => {
    const split = variantSplit(scored);
    expect(split).toEqual([
      { variant: 'champion', version: '1.0.0', customers: 3, share: 0.75 },
      { variant: 'canary', version: '1.1.0', customers: 1, share: 0.25 },
    ]);
    expect(splitLines(split)).toEqual([
      '    champion 1.0.0  3 customers   75.00%',
      '    canary 1.1.0    1 customers   25.00%',
    ]);
  });

  it('compares the stream and HTTP answers for the customers HTTP was asked about, and names those that differ', () => {
    const http = new Map([
      ['a', { variant: 'canary', version: '1.1.0' }],
      ['b', { variant: 'champion', version: '1.0.0' }],
      ['c', { variant: 'canary', version: '1.1.0' }],
    ]);
    const agreement = variantAgreement(scored, http);
    expect(agreement).toEqual({
      compared: 3,
      agreeing: 2,
      differing: [{ customerid: 'c', stream: 'champion 1.0.0', http: 'canary 1.1.0' }],
    });
    expect(agreementLine(agreement)).toMatch(
      /for 2 of 3 customers \(differing: c stream champion 1\.0\.0, HTTP canary 1\.1\.0\)$/,
    );
  });

  it('says whether a rollout was published or already in force', () => {
    const record = {
      format: 'churn-scorer/rollout@1' as const,
      revision: 4,
      published_at: '2026-11-30T12:00:00.000Z',
      rollout: { champion: '1.0.0', challengers: [{ version: '1.1.0', kind: 'canary' as const, weight: 10 }] },
      history: [],
    };
    expect(rolloutLine(record, true, 'models.rollout', 120)).toBe(
      "  rollout revision 4 published to 'models.rollout': champion 1.0.0 90%, canary 1.1.0 10% (in force on the worker 0.12 s later)",
    );
    expect(rolloutLine(record, false, 'models.rollout', 0)).toMatch(
      /revision 4: .* \(in force already; nothing published\)$/,
    );
  });
});

describe('the rollout act: publication lines', () => {
  const pkg = {
    version: '1.1.0',
    sha256: '728b2f5b054d0c284effe8f6068a4da46f7c975e2909fe091781cb8b4b3a4e3f',
    parityExamples: 100,
    topic: 'models',
    partition: 0,
    offset: '1',
  };

  it('says a version was sent, or was on the topic already with the same checksum', () => {
    expect(publishedLine({ ...pkg, alreadyPublished: false })).toBe(
      "  model 1.1.0: published to 'models' (sha256 728b2f5b054d…, 100 parity examples), verified first",
    );
    expect(publishedLine({ ...pkg, alreadyPublished: true })).toBe(
      "  model 1.1.0: on 'models' already (sha256 728b2f5b054d…); nothing sent",
    );
  });
});

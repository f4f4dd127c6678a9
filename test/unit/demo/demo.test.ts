import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../../src/demo/demo-summary.js';
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

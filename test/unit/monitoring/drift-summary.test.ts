import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import {
  createValidationRules,
  STRING_CATEGORICAL_FEATURES,
  validateCustomer,
  type Customer,
  type ValidationRules,
} from '../../../src/contract/customer.js';
import { loadTelcoCustomers } from '../../../src/demo/telco-events.js';
import { loadModel, type ChurnModel, type ModelReference } from '../../../src/model/index.js';
import { driftBaseline, numericBin } from '../../../src/monitoring/drift-baseline.js';
import { DriftCounts } from '../../../src/monitoring/drift-counts.js';
import {
  DEFAULT_DRIFT_THRESHOLDS,
  summarizeDrift,
  type DriftWindowSummary,
  type FeatureDrift,
} from '../../../src/monitoring/drift-summary.js';
import { DriftWindows, type ClosedDriftWindow } from '../../../src/monitoring/drift-windows.js';
import { must } from '../../support/must.js';

const MODELS_DIR = join(findRepoRoot(), 'models', 'churn');

interface Scored {
  customer: Customer;
  score: number;
}

function parityCustomers(version: string, rules: ValidationRules): Customer[] {
  return readFileSync(join(MODELS_DIR, version, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const result = validateCustomer((JSON.parse(line) as { raw: unknown }).raw, rules);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      return result.customer;
    });
}

function validated(rules: ValidationRules, input: unknown): Customer {
  const result = validateCustomer(input, rules);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.customer;
}

/** The figures of all the records counted as one window. */
function oneWindow(reference: ModelReference, records: readonly Scored[]): DriftWindowSummary {
  const counts = new DriftCounts(driftBaseline(reference));
  for (const { customer, score } of records) counts.addScored(customer, score);
  return summarizeDrift(counts, { start: 0, end: records.length }, DEFAULT_DRIFT_THRESHOLDS);
}

function byFeature(summary: DriftWindowSummary): Map<string, FeatureDrift> {
  return new Map(summary.features.map((f) => [f.feature, f]));
}

/**
 * The oracle, written from model.json's numbers without src/monitoring: bin each record by a linear scan of the
 * edges or by category, and apply the PSI formula with an empty bin counted as a share of 0.0001.
 */
function offlinePsi(reference: ModelReference, feature: string, values: readonly (string | number)[]): number {
  let expected: number[];
  let observed: number[];
  const numeric = reference.numeric[feature];
  if (numeric !== undefined) {
    expected = numeric.counts;
    observed = new Array<number>(expected.length).fill(0);
    for (const x of values) {
      const bin = numeric.edges.filter((edge) => edge <= (x as number)).length;
      observed[bin] = (observed[bin] ?? 0) + 1;
    }
  } else {
    const categorical = must(reference.categorical[feature], feature);
    expected = [...categorical.counts, categorical.unseen];
    observed = new Array<number>(expected.length).fill(0);
    for (const v of values) {
      const at = categorical.categories.indexOf(v);
      const bin = at < 0 ? expected.length - 1 : at;
      observed[bin] = (observed[bin] ?? 0) + 1;
    }
  }
  return psiOf(expected, observed);
}

function offlineScorePsi(reference: ModelReference, scores: readonly number[]): number {
  const observed = new Array<number>(reference.score.bins).fill(0);
  for (const s of scores) {
    const bin = Math.min(Math.floor(s * reference.score.bins), reference.score.bins - 1);
    observed[bin] = (observed[bin] ?? 0) + 1;
  }
  return psiOf(reference.score.counts, observed);
}

function psiOf(expected: readonly number[], observed: readonly number[]): number {
  const e = expected.reduce((a, b) => a + b, 0);
  const o = observed.reduce((a, b) => a + b, 0);
  let psi = 0;
  expected.forEach((count, i) => {
    const pe = Math.max(count / e, 1e-4);
    const po = Math.max((observed[i] as number) / o, 1e-4);
    psi += (po - pe) * Math.log(po / pe);
  });
  return psi;
}

/** Rewrites the contract of the first non-month-to-month customers until `share` of them are month-to-month. */
function shiftContract(customers: readonly Customer[], share: number): Customer[] {
  const monthly = customers.filter((c) => c.contract === 'month-to-month').length;
  let toMove = Math.round(share * customers.length) - monthly;
  return customers.map((c) => {
    if (toMove > 0 && c.contract !== 'month-to-month') {
      toMove -= 1;
      return { ...c, contract: 'month-to-month' };
    }
    return c;
  });
}

describe.each(['1.0.0', '1.1.0'])('drift of models/churn/%s against its training reference', (version) => {
  let model: ChurnModel;
  let reference: ModelReference;
  let strict: ValidationRules;
  let test: Scored[];

  beforeAll(async () => {
    model = await loadModel(join(MODELS_DIR, version));
    if (model.meta.reference === undefined) throw new Error(`${version} has no reference`);
    reference = model.meta.reference;
    strict = createValidationRules({ categories: model.meta.categories, strictCategories: true });
    test = parityCustomers(version, strict).map((customer) => ({ customer, score: model.score(customer) }));
  });

  it('the 1,409 test customers (never seen in training) keep every PSI below 0.1 and raise no alert', () => {
    const summary = oneWindow(reference, test);
    expect(summary).toMatchObject({ records: 1409, scored: 1409, alerts: [] });
    expect(summary.features).toHaveLength(19);
    for (const f of summary.features) {
      expect(f.psi, f.feature).toBeLessThan(0.1);
      expect(f).toMatchObject({ unseen_rate: 0, missing_rate: 0, drift: false });
    }
    expect(summary.score_psi).toBeLessThan(0.1);
    expect(summary.score_drift).toBe(false);
  });

  it('the whole Telco data set, in 10 windows of 704 customers, keeps every PSI below 0.1 in every window', () => {
    const lenient = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const telco = loadTelcoCustomers().map((raw): Scored => {
      const result = validateCustomer(raw, lenient);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      return { customer: result.customer, score: model.score(result.customer) };
    });
    const baseline = driftBaseline(reference);
    const windows = new DriftWindows(
      { maxRecords: 704, maxMillis: 60_000, thresholds: DEFAULT_DRIFT_THRESHOLDS },
      () => baseline,
    );
    // Batches of 88 records, one record per ms: 8 batches fill a window exactly, so windows close by count only.
    const closed: ClosedDriftWindow[] = [];
    for (let from = 0; from < telco.length; from += 88) {
      const to = Math.min(from + 88, telco.length);
      windows.begin({ startedAt: from, offsets: { first: BigInt(from), last: BigInt(to - 1) } });
      const counts = windows.stage(version, reference);
      for (const { customer, score } of telco.slice(from, to)) counts.addScored(customer, score);
      closed.push(...windows.commit(to - 1));
    }
    expect(closed).toHaveLength(10);
    let worst = 0;
    for (const [w, { summary, offsets }] of closed.entries()) {
      expect(offsets).toEqual({ first: BigInt(w * 704), last: BigInt(w * 704 + 703) });
      expect(summary.records).toBe(704);
      // The window holds exactly the records of its offsets: its figures are theirs, computed offline.
      const records = telco.slice(w * 704, (w + 1) * 704);
      for (const f of summary.features) {
        expect(f.psi, `window ${w} ${f.feature}`).toBeLessThan(0.1);
        const values = records.map((r) => r.customer[f.feature as keyof Customer]);
        expect(Math.abs((f.psi as number) - offlinePsi(reference, f.feature, values))).toBeLessThan(1e-12);
        worst = Math.max(worst, f.psi ?? 0);
      }
      expect(summary.score_psi, `window ${w} score`).toBeLessThan(0.1);
      expect(summary.alerts.filter((a) => a.metric === 'psi')).toEqual([]);
    }
    console.info(`drift ${version}: largest feature PSI over 10 Telco windows ${worst.toFixed(4)}`);
  });

  it('month-to-month contracts shifted from 55 % to 90 % raise the contract PSI above 0.2 and no other feature above 0.1', () => {
    const before = test.filter((s) => s.customer.contract === 'month-to-month').length / test.length;
    expect(before).toBeCloseTo(0.55, 1);
    const shifted = shiftContract(
      test.map((s) => s.customer),
      0.9,
    ).map((customer) => ({ customer, score: model.score(customer) }));
    expect(shifted.filter((s) => s.customer.contract === 'month-to-month').length / shifted.length).toBeCloseTo(0.9, 3);

    const summary = oneWindow(reference, shifted);
    const features = byFeature(summary);
    expect(features.get('contract')?.psi).toBeGreaterThan(0.2);
    expect(features.get('contract')?.drift).toBe(true);
    for (const f of summary.features.filter((f) => f.feature !== 'contract')) {
      expect(f.psi, f.feature).toBeLessThan(0.1);
      expect(f.drift, f.feature).toBe(false);
    }
    const featureAlerts = summary.alerts.filter((a) => a.feature !== 'score');
    expect(featureAlerts).toEqual([
      { feature: 'contract', metric: 'psi', value: features.get('contract')?.psi, threshold: 0.2 },
    ]);
    console.info(
      `drift ${version}: shifted contract PSI ${features.get('contract')?.psi?.toFixed(3)}, score PSI ${summary.score_psi?.toFixed(3)}`,
    );
  });

  it('gives the figures an offline computation from the same records gives', () => {
    const sample = shiftContract(
      test.map((s) => s.customer),
      0.9,
    ).map((customer) => ({ customer, score: model.score(customer) }));
    for (const records of [test, sample]) {
      const summary = oneWindow(reference, records);
      for (const f of summary.features) {
        const values = records.map((r) => r.customer[f.feature as keyof Customer]);
        expect(Math.abs((f.psi as number) - offlinePsi(reference, f.feature, values)), f.feature).toBeLessThan(1e-12);
      }
      const scores = records.map((r) => r.score);
      expect(Math.abs((summary.score_psi as number) - offlineScorePsi(reference, scores))).toBeLessThan(1e-12);
    }
  });
});

describe('DriftCounts and summarizeDrift: counting one window and reading its figures', () => {
  let reference: ModelReference;
  let customers: Customer[];
  const customer = (i: number): Customer => must(customers[i], `parity customer ${i}`);

  beforeAll(async () => {
    const model = await loadModel(join(MODELS_DIR, '1.0.0'));
    reference = model.meta.reference as ModelReference;
    const rules = createValidationRules({ categories: model.meta.categories, strictCategories: true });
    customers = parityCustomers('1.0.0', rules).slice(0, 10);
  });

  it('counts missing, unseen and out-of-range values of records that failed validation', () => {
    const counts = new DriftCounts(driftBaseline(reference));
    const raw = { ...customer(0) } as Record<string, unknown>;
    counts.addRejected({ ...raw, contract: 'Month-to-month', tenure: 100, totalcharges: ' ' });
    counts.addRejected({ ...raw, contract: 'Three year', seniorcitizen: '1', gender: undefined });
    counts.addRejected('not an object');
    counts.addScored(customer(1), 0.4);
    const summary = summarizeDrift(counts, { start: 0, end: 5 }, DEFAULT_DRIFT_THRESHOLDS);
    const f = byFeature(summary);
    expect(summary).toMatchObject({ records: 4, scored: 1 });
    // "Month-to-month" is the raw spelling of a known category; "Three year" is unseen.
    expect(f.get('contract')).toMatchObject({ unseen_rate: 0.25, missing_rate: 0.25 });
    expect(f.get('contract')?.counts).toEqual([
      1 + (customer(1).contract === 'month-to-month' ? 1 : 0),
      customer(1).contract === 'one_year' ? 1 : 0,
      customer(1).contract === 'two_year' ? 1 : 0,
      1,
    ]);
    expect(f.get('seniorcitizen')).toMatchObject({ unseen_rate: 0.25, missing_rate: 0.25 });
    expect(f.get('gender')).toMatchObject({ missing_rate: 0.5 });
    expect(f.get('tenure')).toMatchObject({ out_of_range_rate: 0.25, missing_rate: 0.25, unseen_rate: 0 });
    expect(f.get('totalcharges')).toMatchObject({ missing_rate: 0.5, out_of_range_rate: 0 });
    // tenure 100 lands in the open last bin.
    expect(f.get('tenure')?.counts.at(-1)).toBeGreaterThanOrEqual(1);
  });

  it('raises a flag only over enough values, and lists every figure above its threshold', () => {
    const thresholds = { ...DEFAULT_DRIFT_THRESHOLDS, minRecords: 4 };
    const counts = new DriftCounts(driftBaseline(reference));
    for (let i = 0; i < 3; i++) counts.addRejected({ ...customer(i), contract: 'weekly' });
    expect(summarizeDrift(counts, { start: 0, end: 1 }, thresholds).alerts).toEqual([]);
    counts.addRejected({ ...customer(3), contract: 'weekly' });
    const alerts = summarizeDrift(counts, { start: 0, end: 1 }, thresholds).alerts;
    expect(alerts.filter((a) => a.feature === 'contract').map((a) => a.metric)).toEqual(['psi', 'unseen_rate']);
    expect(alerts.find((a) => a.metric === 'unseen_rate')).toMatchObject({ value: 1, threshold: 0.01 });
  });

  it('merges counts by addition: two halves merge to the counts of all records', () => {
    const baseline = driftBaseline(reference);
    const all = new DriftCounts(baseline);
    const left = new DriftCounts(baseline);
    const right = new DriftCounts(baseline);
    customers.forEach((c, i) => {
      all.addScored(c, i / 10);
      (i % 3 === 0 ? left : right).addScored(c, i / 10);
    });
    left.mergeFrom(right);
    const window = { start: 0, end: 1 };
    expect(summarizeDrift(left, window, DEFAULT_DRIFT_THRESHOLDS)).toEqual(
      summarizeDrift(all, window, DEFAULT_DRIFT_THRESHOLDS),
    );
    expect(() => {
      left.mergeFrom(new DriftCounts(driftBaseline(reference)));
    }).toThrow(RangeError);
  });

  it('counts coded customers (ChurnModel.scoreWithReasons) as it counts them by value, whatever the codes are of', async () => {
    const model = await loadModel(join(MODELS_DIR, '1.0.0'));
    const lenient = createValidationRules({ categories: model.meta.categories, strictCategories: false });
    const all = [
      ...customers,
      validated(lenient, { ...customer(0), contract: 'Three year', gender: 'other', partner: '\t' }),
    ];
    // The same categories in another order: its codes are not this baseline's bins.
    const reordered: ModelReference = {
      ...reference,
      categorical: Object.fromEntries(
        Object.entries(reference.categorical).map(([field, c]) => [
          field,
          { ...c, categories: [...c.categories].reverse(), counts: [...c.counts].reverse() },
        ]),
      ),
    };
    const baseline = driftBaseline(reference);
    const byValue = new DriftCounts(baseline);
    const coded = new DriftCounts(baseline);
    const otherOrder = new DriftCounts(baseline);
    all.forEach((c, i) => {
      const scored = model.scoreWithReasons(c, 0);
      byValue.addScored(c, i / all.length);
      coded.addScoredCoded(c, i / all.length, scored.categoryCodes, reference);
      // Codes of the reordered reference, as a model trained on it would give them.
      const codes = scored.categoryCodes.map((code, j) => {
        const field = must(STRING_CATEGORICAL_FEATURES[j], `field ${j}`);
        return code < 0 ? -1 : must(reordered.categorical[field], field).categories.length - 1 - code;
      });
      otherOrder.addScoredCoded(c, i / all.length, codes, reordered);
    });
    const window = { start: 0, end: 1 };
    const expected = summarizeDrift(byValue, window, DEFAULT_DRIFT_THRESHOLDS);
    expect(summarizeDrift(coded, window, DEFAULT_DRIFT_THRESHOLDS)).toEqual(expected);
    expect(summarizeDrift(otherOrder, window, DEFAULT_DRIFT_THRESHOLDS)).toEqual(expected);
    const f = byFeature(expected);
    expect(f.get('partner')).toMatchObject({ missing_rate: 1 / all.length });
    expect(f.get('contract')).toMatchObject({ unseen_rate: 1 / all.length });
  });

  it('refuses a score that is not a probability and counts nothing for it', () => {
    const counts = new DriftCounts(driftBaseline(reference));
    expect(() => {
      counts.addScored(customer(0), Number.NaN);
    }).toThrow(RangeError);
    expect(() => {
      counts.addScored(customer(0), 1.5);
    }).toThrow(RangeError);
    expect(counts.records).toBe(0);
  });

  it('bins a number by how many edges are at or below it (open end bins)', () => {
    const edges = Float64Array.from([2, 6, 12]);
    expect([-5, 0, 1.99, 2, 5, 6, 11, 12, 1e9, Infinity].map((x) => numericBin(edges, x))).toEqual([
      0, 0, 0, 1, 1, 2, 2, 3, 3, 3,
    ]);
  });
});

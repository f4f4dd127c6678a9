import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../../src/config/repo-root.js';
import { createValidationRules, validateCustomer, type Customer } from '../../../src/contract/customer.js';
import { loadTelcoCustomers } from '../../../src/demo/telco-events.js';
import { loadModel, type ChurnModel, type ModelReference } from '../../../src/model/index.js';
import { driftBaseline, type DriftBaseline } from '../../../src/monitoring/drift-baseline.js';
import { DriftCounts } from '../../../src/monitoring/drift-counts.js';
import {
  DEFAULT_DRIFT_THRESHOLDS,
  summarizeDrift,
  type DriftThresholds,
} from '../../../src/monitoring/drift-summary.js';
import { DriftTracker, type DriftAlertChange } from '../../../src/monitoring/drift-tracker.js';
import { driftWindowRecord } from '../../../src/monitoring/drift-window-record.js';
import {
  DriftWindows,
  type ClosedDriftWindow,
  type DriftWindowOptions,
} from '../../../src/monitoring/drift-windows.js';
import { driftWindowSchema } from '../../../src/serde/schema-files.js';
import { must } from '../../support/must.js';

const MODELS_DIR = join(findRepoRoot(), 'models', 'churn');

interface Scored {
  customer: Customer;
  score: number;
}

let model: ChurnModel;
let candidate: ChurnModel;
let reference: ModelReference;
let telco: Scored[];

beforeAll(async () => {
  model = await loadModel(join(MODELS_DIR, '1.0.0'));
  candidate = await loadModel(join(MODELS_DIR, '1.1.0'));
  reference = must(model.meta.reference, 'the reference of 1.0.0');
  const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
  telco = loadTelcoCustomers().map((raw) => {
    const result = validateCustomer(raw, rules);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return { customer: result.customer, score: model.score(result.customer) };
  });
});

function record(i: number): Scored {
  return must(telco[i], `Telco customer ${i}`);
}

/** The figures of records counted by hand into one DriftCounts: what a window of the same records must say. */
function countsOf(baseline: DriftBaseline, records: readonly Scored[]): DriftCounts {
  const counts = new DriftCounts(baseline);
  for (const { customer, score } of records) counts.addScored(customer, score);
  return counts;
}

/** One source's windows with a baseline per version, as a tracker lays them out. */
function windowsOf(options: Partial<DriftWindowOptions> = {}): { windows: DriftWindows; closed: ClosedDriftWindow[] } {
  const baselines = new Map<string, DriftBaseline>();
  const closed: ClosedDriftWindow[] = [];
  const windows = new DriftWindows(
    { maxRecords: 100, maxMillis: 60_000, thresholds: DEFAULT_DRIFT_THRESHOLDS, ...options },
    (version, ref) => {
      let baseline = baselines.get(version);
      if (baseline === undefined) baselines.set(version, (baseline = driftBaseline(ref)));
      return baseline;
    },
    (windowsClosed) => closed.push(...windowsClosed),
  );
  return { windows, closed };
}

/** Stages records [from, to) as one batch of offsets [from, to - 1] taken at `startedAt`. */
function stage(windows: DriftWindows, from: number, to: number, startedAt: number, version = '1.0.0'): void {
  windows.begin({ startedAt, offsets: { first: BigInt(from), last: BigInt(to - 1) } });
  const counts = windows.stage(version, reference);
  for (let i = from; i < to; i++) counts.addScored(record(i).customer, record(i).score);
}

describe('DriftWindows: the windows of one source, counted batch by batch', () => {
  it('counts a batch only once it is committed: a batch staged again after a failure counts once', () => {
    const { windows } = windowsOf();
    stage(windows, 0, 10, 1_000);
    // The transaction aborts: nothing is committed, the records are fetched and staged again.
    expect(windows.open('1.0.0')).toBeUndefined();
    stage(windows, 0, 10, 1_050);
    expect(windows.closing(1_100)).toEqual([]);
    windows.commit(1_100);
    const open = must(windows.open('1.0.0'), 'the open window');
    expect(open).toMatchObject({ start: 1_050 });
    expect(open.counts.records).toBe(10);
    const expected = countsOf(open.counts.baseline, telco.slice(0, 10));
    expect(open.counts.features()).toEqual(expected.features());
    expect(open.counts.scoreCounts()).toEqual(expected.scoreCounts());
  });

  it('closes at the boundary of the batch that takes it to maxRecords, with that whole batch, and says so before the commit', () => {
    const { windows, closed } = windowsOf({ maxRecords: 25 });
    stage(windows, 0, 10, 0);
    windows.commit(10);
    stage(windows, 10, 20, 20);
    windows.commit(30);
    stage(windows, 20, 30, 40);
    const closing = windows.closing(50);
    expect(closing).toHaveLength(1);
    const window = must(closing[0], 'the closing window');
    expect(window.offsets).toEqual({ first: 0n, last: 29n });
    // Its figures are those of the same 30 records counted in one go.
    const expected = summarizeDrift(
      countsOf(window.counts.baseline, telco.slice(0, 30)),
      { start: 0, end: 50 },
      DEFAULT_DRIFT_THRESHOLDS,
    );
    expect(window.summary).toEqual(expected);
    expect(closed).toEqual([]);

    expect(windows.commit(50)).toEqual(closing);
    expect(closed).toEqual(closing);
    expect(windows.lastClosed('1.0.0')).toBe(window);
    expect(windows.open('1.0.0')).toBeUndefined();
    // The next batch opens the next window, from its own first offset.
    stage(windows, 30, 55, 60);
    expect(windows.closing(70)).toMatchObject([{ offsets: { first: 30n, last: 54n }, summary: { records: 25 } }]);
  });

  it('closes a window whose time is up without the batch that finds it so; that batch opens the next window', () => {
    const { windows } = windowsOf({ maxMillis: 1_000 });
    stage(windows, 0, 5, 0);
    windows.commit(10);
    stage(windows, 5, 8, 2_000);
    const closing = windows.closing(2_010);
    expect(closing).toHaveLength(1);
    expect(closing[0]).toMatchObject({
      offsets: { first: 0n, last: 4n },
      summary: { window_start: 0, window_end: 2_010, records: 5 },
    });
    windows.commit(2_010);
    expect(windows.open('1.0.0')).toMatchObject({ start: 2_000 });
    expect(windows.open('1.0.0')?.counts.records).toBe(3);
  });

  it('closes by time on a tick without records, and never reports an empty window', () => {
    const { windows, closed } = windowsOf({ maxMillis: 1_000 });
    expect(windows.tick(5_000)).toEqual([]);
    stage(windows, 0, 3, 6_000);
    windows.commit(6_000);
    expect(windows.tick(6_999)).toEqual([]);
    expect(windows.tick(7_000)).toMatchObject([{ summary: { window_start: 6_000, window_end: 7_000, records: 3 } }]);
    expect(windows.tick(9_000)).toEqual([]);
    expect(closed).toHaveLength(1);
  });

  it('keeps a window per model version, each counted against its own reference', () => {
    const { windows } = windowsOf({ maxRecords: 4 });
    const candidateReference = must(candidate.meta.reference, 'the reference of 1.1.0');
    windows.begin({ startedAt: 0, offsets: { first: 0n, last: 5n } });
    for (let i = 0; i < 6; i++) {
      const { customer, score } = record(i);
      windows.stage('1.0.0', reference).addScored(customer, score);
      if (i % 2 === 0) windows.stage('1.1.0', candidateReference).addScored(customer, candidate.score(customer));
    }
    const closing = windows.commit(1);
    expect(closing.map((c) => [c.version, c.summary.records])).toEqual([['1.0.0', 6]]);
    expect(windows.open('1.1.0')?.counts.records).toBe(3);
    expect(windows.open('1.1.0')?.counts.baseline.scoreCounts).toEqual(
      Float64Array.from(candidateReference.score.counts),
    );
  });
});

describe('DriftTracker: per version, the latest closed windows of every source merged', () => {
  const thresholds: DriftThresholds = { ...DEFAULT_DRIFT_THRESHOLDS, minRecords: 100 };

  it('merges the latest closed window of each active source into the figures of all their records', () => {
    const tracker = new DriftTracker({ windowRecords: 200, windowMs: 60_000, thresholds });
    let secondActive = true;
    const first = tracker.windows('customers[0]');
    const second = tracker.windows('customers[1]', () => secondActive);
    stage(first, 0, 200, 0);
    first.commit(10);
    stage(second, 200, 500, 0);
    second.commit(20);

    const [merged] = tracker.closed();
    expect(merged?.version).toBe('1.0.0');
    const baseline = tracker.baselineOf('1.0.0', reference);
    expect(merged?.summary).toEqual(
      summarizeDrift(countsOf(baseline, telco.slice(0, 500)), { start: 0, end: 20 }, thresholds),
    );
    const view = tracker.view(30, [['1.0.0', reference]]);
    expect(view.versions[0]).toMatchObject({ version: '1.0.0', sources: 2, current: null, alerts: [] });
    expect(view.versions[0]?.reference).toEqual({ rows: reference.rows, split: reference.split });

    // A partition this process no longer owns drops out; one taken again starts afresh.
    secondActive = false;
    expect(tracker.closed()[0]?.summary.records).toBe(200);
    tracker.restart('customers[0]');
    expect(tracker.closed()).toEqual([]);
  });

  it('shows the open windows so far, merged, and a version without a reference as not monitored', () => {
    const tracker = new DriftTracker({ windowRecords: 1_000, windowMs: 60_000, thresholds });
    stage(tracker.windows('a'), 0, 30, 100);
    tracker.windows('a').commit(110);
    stage(tracker.windows('b'), 30, 50, 50);
    tracker.windows('b').commit(120);
    const view = tracker.view(200, [
      ['1.0.0', reference],
      ['0.9.0', undefined],
    ]);
    expect(view.window).toEqual({ records: 1_000, ms: 60_000 });
    expect(view.thresholds).toMatchObject({ psi: 0.2, score_psi: 0.2, min_records: 100 });
    expect(view.versions[0]?.current).toMatchObject({ window_start: 50, window_end: 200, records: 50 });
    expect(view.versions[0]?.last_closed).toBeNull();
    expect(view.versions[1]).toEqual({
      version: '0.9.0',
      reference: null,
      sources: 0,
      current: null,
      last_closed: null,
      alerts: [],
    });
  });

  it('tells each crossing of a threshold once, and its clearing once', () => {
    const changes: DriftAlertChange[] = [];
    const tracker = new DriftTracker({
      windowRecords: 500,
      windowMs: 60_000,
      thresholds,
      onAlerts: (change) => changes.push(change),
    });
    const windows = tracker.windows('customers[0]');
    const shifted = (i: number): Scored => {
      const { customer } = record(i);
      const moved = { ...customer, contract: 'month-to-month' };
      return { customer: moved, score: model.score(moved) };
    };
    let offset = 0;
    const batch = (make: (i: number) => Scored) => {
      windows.begin({ startedAt: offset, offsets: { first: BigInt(offset), last: BigInt(offset + 499) } });
      const counts = windows.stage('1.0.0', reference);
      for (let i = offset; i < offset + 500; i++) {
        const { customer, score } = make(i);
        counts.addScored(customer, score);
      }
      offset += 500;
      windows.commit(offset);
    };
    batch(record);
    expect(changes).toEqual([]);
    batch(shifted);
    batch(shifted);
    expect(changes).toHaveLength(1);
    const raisedContract = changes[0]?.raised.find((a) => a.feature === 'contract');
    expect(raisedContract).toMatchObject({ metric: 'psi', threshold: 0.2 });
    expect(raisedContract?.value).toBeGreaterThan(0.2);
    batch(record);
    expect(changes).toHaveLength(2);
    expect(changes[1]?.raised).toEqual([]);
    expect(changes[1]?.cleared.find((a) => a.feature === 'contract')?.value).toBeLessThan(0.1);
  });

  it('holds an alert through a window too small to judge it (closed by time), and shows it in force', () => {
    const changes: DriftAlertChange[] = [];
    const tracker = new DriftTracker({
      windowRecords: 700,
      windowMs: 1_000,
      thresholds,
      onAlerts: (change) => changes.push(change),
    });
    const windows = tracker.windows('customers[0]');
    const shifted = (i: number) => ({ ...record(i).customer, contract: 'month-to-month' });
    let offset = 0;
    const batch = (n: number, at: number) => {
      windows.begin({ startedAt: at, offsets: { first: BigInt(offset), last: BigInt(offset + n - 1) } });
      const counts = windows.stage('1.0.0', reference);
      for (let i = offset; i < offset + n; i++) counts.addScored(shifted(i), model.score(shifted(i)));
      offset += n;
      windows.commit(at);
    };
    batch(700, 0); // closes by count: drift raised
    expect(changes.map((c) => c.raised.some((a) => a.feature === 'contract'))).toEqual([true]);
    batch(50, 10);
    windows.tick(5_000); // closes by time with 50 records, fewer than min_records: nothing to say
    expect(tracker.closed()[0]?.summary.records).toBe(50);
    expect(changes).toHaveLength(1);
    expect(tracker.closed()[0]?.alerts.map((a) => a.feature)).toContain('contract');
    const view = tracker.view(5_000, [['1.0.0', reference]]);
    expect(view.versions[0]?.alerts.map((a) => a.feature)).toContain('contract');
  });
});

describe('the drift topic record of a closed window', () => {
  it('carries the figures and the raw counts, and round-trips through the Avro schema', () => {
    const { windows } = windowsOf({ maxRecords: 50 });
    stage(windows, 0, 60, 1_700_000_000_000);
    const [closed] = windows.commit(1_700_000_000_100);
    const window = must(closed, 'a closed window');
    const value = driftWindowRecord(
      window,
      { topic: 'customers', partition: 2, rolloutRevision: 3, scorerVersion: 'churn-scorer/test' },
      DEFAULT_DRIFT_THRESHOLDS,
    );
    expect(value).toMatchObject({
      model_version: '1.0.0',
      source_topic: 'customers',
      source_partition: 2,
      first_offset: 0,
      last_offset: 59,
      window_start: 1_700_000_000_000,
      window_end: 1_700_000_000_100,
      records: 60,
      scored: 60,
      rollout_revision: 3,
      thresholds: { psi: 0.2, score_psi: 0.2, unseen_rate: 0.01, missing_rate: 0.01, out_of_range_rate: 0.01 },
    });
    const contract = must(
      value.features.find((f) => f.feature === 'contract'),
      'the contract feature',
    );
    expect(contract.counts.reduce((a, b) => a + b, 0) + contract.missing).toBe(60);
    const type = driftWindowSchema().type;
    expect(type.isValid(value)).toBe(true);
    expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
  });
});

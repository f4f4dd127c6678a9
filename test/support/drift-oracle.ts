import type { Customer } from '../../src/contract/customer.js';
import type { ModelReference } from '../../src/model/index.js';
import { loadTelcoCustomers, type TelcoCustomer } from '../../src/demo/telco-events.js';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { must } from './must.js';

/** One feature's figures, computed offline. */
export interface OfflineFeature {
  counts: number[];
  psi: number;
  /** numbers outside the training [min, max] (0 for categories) */
  outOfRange: number;
}

/** The drift figures of a set of scored customers, computed offline. */
export interface OfflineDrift {
  features: Map<string, OfflineFeature>;
  scoreCounts: number[];
  scorePsi: number;
}

/**
 * The oracle of the drift tests, written from model.json's numbers without src/monitoring: each value binned by a
 * linear scan of the edges (bin = how many edges are <= x) or by its category's index (unseen last), each score in
 * its tenth of [0, 1], and the PSI formula with an empty bin counted as a share of 0.0001.
 */
export function offlineDrift(
  reference: ModelReference,
  scored: readonly { customer: Customer; score: number }[],
): OfflineDrift {
  const features = new Map<string, OfflineFeature>();
  for (const [feature, numeric] of Object.entries(reference.numeric)) {
    const counts = new Array<number>(numeric.counts.length).fill(0);
    let outOfRange = 0;
    for (const { customer } of scored) {
      const x = customer[feature as keyof Customer] as number;
      const bin = numeric.edges.filter((edge) => edge <= x).length;
      counts[bin] = (counts[bin] ?? 0) + 1;
      if (x < numeric.min || x > numeric.max) outOfRange++;
    }
    features.set(feature, { counts, psi: psi(numeric.counts, counts), outOfRange });
  }
  for (const [feature, categorical] of Object.entries(reference.categorical)) {
    const expected = [...categorical.counts, categorical.unseen];
    const counts = new Array<number>(expected.length).fill(0);
    for (const { customer } of scored) {
      const at = categorical.categories.indexOf(customer[feature as keyof Customer]);
      const bin = at < 0 ? expected.length - 1 : at;
      counts[bin] = (counts[bin] ?? 0) + 1;
    }
    features.set(feature, { counts, psi: psi(expected, counts), outOfRange: 0 });
  }
  const bins = reference.score.bins;
  const scoreCounts = new Array<number>(bins).fill(0);
  for (const { score } of scored) {
    const bin = Math.min(Math.floor(score * bins), bins - 1);
    scoreCounts[bin] = (scoreCounts[bin] ?? 0) + 1;
  }
  return { features, scoreCounts, scorePsi: psi(reference.score.counts, scoreCounts) };
}

function psi(expected: readonly number[], observed: readonly number[]): number {
  const e = expected.reduce((a, b) => a + b, 0);
  const o = observed.reduce((a, b) => a + b, 0);
  let sum = 0;
  expected.forEach((count, i) => {
    const pe = Math.max(count / e, 1e-4);
    const po = Math.max(must(observed[i], `observed bin ${i}`) / o, 1e-4);
    sum += (po - pe) * Math.log(po / pe);
  });
  return sum;
}

/**
 * `count` events cycling through the Telco customers in file order, with month-to-month contracts moved from the
 * data set's 55 % to 90 %: of every 9 customers on a one- or two-year contract, 7 are rewritten to month-to-month
 * (0.55 + 0.45 * 7/9 = 0.90). Every other field is the customer's own.
 */
export function shiftedContractEvents(count: number, runId: string, eventTime: number): CustomerEvent[] {
  const telco: TelcoCustomer[] = loadTelcoCustomers();
  let longContracts = 0;
  return Array.from({ length: count }, (_, i) => {
    const customer = must(telco[i % telco.length], `Telco customer ${i % telco.length}`);
    let contract = customer.contract;
    if (contract !== 'Month-to-month' && longContracts++ % 9 < 7) contract = 'Month-to-month';
    return { ...customer, contract, event_id: `${runId}-${i}`, event_time: eventTime };
  });
}

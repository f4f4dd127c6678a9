import {
  CUSTOMER_FEATURE_NAMES,
  isNumericFeature,
  type Customer,
  type NumericFeature,
  type StringCategoricalFeature,
} from '../contract/customer.js';
import { FEATURE_SEPARATOR } from './feature-names.js';
import type { ModelArtifact } from './model-artifact.js';
import { sigmoid } from './sigmoid.js';

/** One feature's share of a customer's logit (log-odds of churn). */
export interface FeatureContribution {
  /** DictVectorizer's name: "contract=month-to-month" for the category present, "tenure" for a number. */
  readonly feature: string;
  /** The customer's value of the field: the (normalized) category, or the number. */
  readonly value: string | number;
  /** coefficient × one-hot value (1 for the category present) or × the number. */
  readonly contribution: number;
  /** Set on a category the model has no coefficient for: DictVectorizer gives it no column, so it adds 0. */
  readonly unseen?: true;
}

export interface Explanation {
  readonly intercept: number;
  /** The logit the scorer computes (same terms, same order): sigmoid(logit) is the churn probability. */
  readonly logit: number;
  /** One per customer field (19), largest |contribution| first; ties keep the contract's field order. */
  readonly contributions: readonly FeatureContribution[];
}

export interface CustomerExplainer {
  /** Exact decomposition of one validated customer's logit: intercept + Σ contributions = logit. */
  readonly explain: (customer: Customer) => Explanation;
  /**
   * The n largest contributions by magnitude, equal to `explain(customer).contributions.slice(0, n)` (same
   * entries, same order, ties in the contract's field order) without building and sorting all 19: what every
   * prediction on the stream carries.
   */
  readonly reasons: (customer: Customer, n: number) => readonly FeatureContribution[];
  /**
   * The churn probability (bit for bit the scorer's), the n largest contributions (as `reasons`) and the customer's
   * category codes, looking each category up once: the stream's per-record pass.
   */
  readonly scoreWithReasons: (customer: Customer, n: number) => ScoreWithReasons;
}

/** What ChurnModel.scoreWithReasons returns. */
export interface ScoreWithReasons {
  /** sigmoid(logit), equal to ChurnModel.score(customer) */
  readonly probability: number;
  /** the n largest contributions, as ChurnModel.reasons(customer, n) */
  readonly reasons: readonly FeatureContribution[];
  /**
   * Per string categorical field (STRING_CATEGORICAL_FEATURES order), the position of the customer's category in
   * the model's `reference` categories of that field (its bin in the drift baseline of that reference); -1 when
   * the reference does not list it. Empty when the artifact has no reference.
   */
  readonly categoryCodes: readonly number[];
}

/** How one customer field enters the logit: a numeric field by its coefficient, a categorical by its category's. */
type FieldTerm =
  | { readonly numeric: true; readonly field: NumericFeature; readonly weight: number }
  | {
      readonly numeric: false;
      readonly field: StringCategoricalFeature;
      /** category -> its code: its position in the reference's categories, then any other category with a coefficient */
      readonly codeOf: ReadonlyMap<string, number>;
      /**
       * By code, the contribution of a category the model has a coefficient for (undefined for one it has not): it
       * depends on the category alone, so it is built once.
       */
      readonly entries: readonly (FeatureContribution | undefined)[];
      /** how many codes are the reference's categories (the others have none there) */
      readonly referenced: number;
    };

const FIELD_COUNT = CUSTOMER_FEATURE_NAMES.length;
const NO_REASONS: readonly FeatureContribution[] = Object.freeze([]);
const NO_CODES: readonly number[] = Object.freeze([]);

/**
 * Builds the explainer of a validated artifact (pure). For a logistic regression the explanation is exact, not an
 * approximation: the logit is the intercept plus each feature's coefficient times its value, so each term is that
 * feature's contribution in log-odds. The baseline is a customer with every number 0 and no category, as the
 * model's own algebra has it; numbers are not scaled, so `tenure` and the charges often carry large terms of
 * opposite signs. Only the category present in each categorical field is listed (the absent ones multiply 0).
 */
export function createExplainer(artifact: ModelArtifact): CustomerExplainer {
  const weights = new Map<string, number>();
  for (let i = 0; i < artifact.features.length; i++) {
    weights.set(artifact.features[i] as string, artifact.coefficients[i] as number);
  }
  // In the contract's field order, which is also the order ties keep.
  const terms: readonly FieldTerm[] = CUSTOMER_FEATURE_NAMES.map((field): FieldTerm => {
    if (isNumericFeature(field)) {
      const weight = weights.get(field);
      // parseModelArtifact guarantees every numeric field a feature; an unvalidated artifact fails here, not later.
      if (weight === undefined) throw new RangeError(`createExplainer: the artifact has no numeric feature "${field}"`);
      return { numeric: true, field, weight };
    }
    // Codes follow the reference's categories, so that the drift count can take a code for its bin.
    const codeOf = new Map<string, number>();
    const entries: (FeatureContribution | undefined)[] = [];
    for (const category of artifact.reference?.categorical[field]?.categories ?? []) {
      codeOf.set(String(category), entries.length);
      entries.push(undefined);
    }
    const referenced = entries.length;
    const prefix = `${field}${FEATURE_SEPARATOR}`;
    for (const [feature, weight] of weights) {
      if (!feature.startsWith(prefix)) continue;
      const value = feature.slice(prefix.length);
      let code = codeOf.get(value);
      if (code === undefined) {
        code = entries.length;
        codeOf.set(value, code);
        entries.push(undefined);
      }
      entries[code] = Object.freeze({ feature, value, contribution: weight });
    }
    return { numeric: false, field, codeOf, entries, referenced };
  });
  const numericWeight = (field: NumericFeature): number => {
    const term = terms.find((t) => t.field === field);
    return term?.numeric === true ? term.weight : 0;
  };
  const wSenior = numericWeight('seniorcitizen');
  const wTenure = numericWeight('tenure');
  const wMonthly = numericWeight('monthlycharges');
  const wTotal = numericWeight('totalcharges');
  const intercept = artifact.intercept;

  /** The listed entry of the category present; an unseen one is listed with 0 so the explanation names it. */
  function categoryEntry(
    field: StringCategoricalFeature,
    entry: FeatureContribution | undefined,
    value: string,
  ): FeatureContribution {
    return entry ?? { feature: `${field}${FEATURE_SEPARATOR}${value}`, value, contribution: 0, unseen: true };
  }

  function knownEntry(term: FieldTerm & { numeric: false }, value: string): FeatureContribution | undefined {
    const code = term.codeOf.get(value);
    return code === undefined ? undefined : term.entries[code];
  }

  function explain(customer: Customer): Explanation {
    // The logit is summed exactly as scorer.ts sums it (categoricals in contract order, then the numeric terms
    // in pairs), so sigmoid(logit) is bit for bit the score the model returns.
    let logit = intercept;
    const contributions = new Array<FeatureContribution>(FIELD_COUNT);
    for (let f = 0; f < FIELD_COUNT; f++) {
      const term = terms[f] as FieldTerm;
      if (term.numeric) continue;
      const value = customer[term.field];
      const listed = categoryEntry(term.field, knownEntry(term, value), value);
      logit += listed.contribution;
      contributions[f] = listed;
    }
    const numeric: Record<NumericFeature, number> = {
      seniorcitizen: wSenior * customer.seniorcitizen,
      tenure: wTenure * customer.tenure,
      monthlycharges: wMonthly * customer.monthlycharges,
      totalcharges: wTotal * customer.totalcharges,
    };
    logit += numeric.seniorcitizen + numeric.tenure;
    logit += numeric.monthlycharges + numeric.totalcharges;
    for (let f = 0; f < FIELD_COUNT; f++) {
      const term = terms[f] as FieldTerm;
      if (term.numeric) {
        contributions[f] = { feature: term.field, value: customer[term.field], contribution: numeric[term.field] };
      }
    }
    // Array.prototype.sort is stable, so equal magnitudes keep the contract's field order.
    contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    return { intercept, logit, contributions };
  }

  // The per-record pass (reasons(), scoreWithReasons()) reads the categorical fields through parallel arrays and
  // the four numbers by name, so each field is one kind of lookup rather than a union told apart per field.
  const categorical = terms.flatMap((term) => (term.numeric ? [] : [term]));
  const categoricalFields = categorical.map((c) => c.field);
  const categoricalCodeOf = categorical.map((c) => c.codeOf);
  const categoricalEntries = categorical.map((c) => c.entries);
  const categoricalReferenced = Int32Array.from(categorical.map((c) => c.referenced));
  const categoricalPosition = Int32Array.from(categorical.map((c) => terms.indexOf(c)));
  const positionOf = (field: NumericFeature): number => CUSTOMER_FEATURE_NAMES.indexOf(field);
  const pSenior = positionOf('seniorcitizen');
  const pTenure = positionOf('tenure');
  const pMonthly = positionOf('monthlycharges');
  const pTotal = positionOf('totalcharges');
  const hasReference = artifact.reference !== undefined;

  // Scratch of the pass: a selection of the n largest in place, so a call allocates only the entries it returns.
  // Safe to share: the pass never calls out before its caller has copied them.
  const topField = new Int32Array(FIELD_COUNT);
  const topTerm = new Float64Array(FIELD_COUNT);
  const topMagnitude = new Float64Array(FIELD_COUNT);
  // The entry of a known category, so the winners need no second lookup; only the model's own entries, never data.
  const topEntry = new Array<FeatureContribution | undefined>(FIELD_COUNT);
  let wanted = 0;
  let filled = 0;

  /**
   * Offers the term of the field at `position` to the selection. Larger magnitudes go first and, among equal
   * ones, the earlier field: the order of explain's stable sort, whatever order the fields are offered in.
   */
  function offer(position: number, contribution: number, entry: FeatureContribution | undefined): void {
    const magnitude = Math.abs(contribution);
    if (filled === wanted) {
      const last = topMagnitude[wanted - 1] as number;
      if (!(magnitude > last || (magnitude === last && position < (topField[wanted - 1] as number)))) return;
    }
    let at = filled < wanted ? filled++ : wanted - 1;
    while (at > 0) {
      const ahead = topMagnitude[at - 1] as number;
      if (!(magnitude > ahead || (magnitude === ahead && position < (topField[at - 1] as number)))) break;
      topField[at] = topField[at - 1] as number;
      topTerm[at] = topTerm[at - 1] as number;
      topMagnitude[at] = ahead;
      topEntry[at] = topEntry[at - 1];
      at--;
    }
    topField[at] = position;
    topTerm[at] = contribution;
    topMagnitude[at] = magnitude;
    topEntry[at] = entry;
  }

  /**
   * One look at each field: selects the k largest terms into the scratch (none when k is 0), writes each
   * categorical field's code into `codes` when given, and returns the logit, summed exactly as scorer.ts sums it
   * (categoricals in contract order, then the numeric terms in pairs), so sigmoid(logit) is bit for bit the score.
   */
  function pass(customer: Customer, k: number, codes: number[] | undefined): number {
    wanted = k;
    filled = 0;
    let logit = intercept;
    for (let c = 0; c < categoricalFields.length; c++) {
      const code = (categoricalCodeOf[c] as ReadonlyMap<string, number>).get(
        customer[categoricalFields[c] as StringCategoricalFeature],
      );
      let entry: FeatureContribution | undefined;
      if (code === undefined) {
        if (codes !== undefined) codes[c] = -1;
      } else {
        entry = (categoricalEntries[c] as readonly (FeatureContribution | undefined)[])[code];
        if (codes !== undefined) codes[c] = code < (categoricalReferenced[c] as number) ? code : -1;
      }
      const contribution = entry === undefined ? 0 : entry.contribution;
      logit += contribution;
      if (k > 0) offer(categoricalPosition[c] as number, contribution, entry);
    }
    const senior = wSenior * customer.seniorcitizen;
    const tenure = wTenure * customer.tenure;
    const monthly = wMonthly * customer.monthlycharges;
    const total = wTotal * customer.totalcharges;
    logit += senior + tenure;
    logit += monthly + total;
    if (k > 0) {
      offer(pSenior, senior, undefined);
      offer(pTenure, tenure, undefined);
      offer(pMonthly, monthly, undefined);
      offer(pTotal, total, undefined);
    }
    return logit;
  }

  /** The entries the last pass selected, largest first. */
  function selected(customer: Customer, k: number): readonly FeatureContribution[] {
    const out = new Array<FeatureContribution>(k);
    for (let i = 0; i < k; i++) {
      const term = terms[topField[i] as number] as FieldTerm;
      out[i] = term.numeric
        ? { feature: term.field, value: customer[term.field], contribution: topTerm[i] as number }
        : (topEntry[i] ?? categoryEntry(term.field, undefined, customer[term.field]));
    }
    return out;
  }

  function reasons(customer: Customer, n: number): readonly FeatureContribution[] {
    checkCount(n, 'reasons');
    const k = Math.min(n, FIELD_COUNT);
    if (k === 0) return NO_REASONS;
    pass(customer, k, undefined);
    return selected(customer, k);
  }

  function scoreWithReasons(customer: Customer, n: number): ScoreWithReasons {
    checkCount(n, 'scoreWithReasons');
    const k = Math.min(n, FIELD_COUNT);
    const codes = hasReference ? new Array<number>(categoricalFields.length) : undefined;
    const logit = pass(customer, k, codes);
    return {
      probability: sigmoid(logit),
      reasons: k === 0 ? NO_REASONS : selected(customer, k),
      categoryCodes: codes ?? NO_CODES,
    };
  }

  return { explain, reasons, scoreWithReasons };
}

/**
 * The n largest contributions by magnitude (pure): the reasons a customer's score is where it is, positive ones
 * pushing towards churn, negative ones away from it.
 */
export function topReasons(explanation: Explanation, n = 3): readonly FeatureContribution[] {
  checkCount(n, 'topReasons');
  return explanation.contributions.slice(0, n);
}

function checkCount(n: number, caller: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${caller}: n must be an integer >= 0, got ${n}`);
}

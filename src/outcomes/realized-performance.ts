import type { PredictionOutcome } from '../serde/avro-records.js';

/*
 * Realized performance (pure): how a model version's predictions fared against the outcomes they were joined to
 * (issue 13, item 3). The same figures feed GET /experiments and the gauges (realized-tracker.ts, over a sliding
 * window) and `experiment report` (realized-report.ts, over the joined topic).
 */

/** Calibration bins: 10 equal bins of the predicted probability, [0, 0.1), ..., [0.9, 1]. */
/** calibration groups: deciles of the churn probability */
export const CALIBRATION_GROUPS = 10;

/** log-loss clips probabilities to [LOG_LOSS_EPSILON, 1 - LOG_LOSS_EPSILON], so a confident miss costs ~34.5, not infinity. */
export const LOG_LOSS_EPSILON = 1e-15;

/** One joined prediction as the figures need it. */
export interface ScoredOutcome {
  readonly churnProbability: number;
  /** the outcome: the customer left */
  readonly churned: boolean;
  /** the prediction's decision equalled the outcome (the 'correct-decision' reward) */
  readonly correct: boolean;
}

export interface CalibrationBin {
  /** 1 (the tenth of the customers with the lowest churn probabilities) to 10 (the riskiest tenth) */
  readonly decile: number;
  /** the lowest and highest churn probability in the decile; null when it is empty */
  readonly lower: number | null;
  readonly upper: number | null;
  readonly count: number;
  /** null when the decile is empty */
  readonly mean_predicted: number | null;
  /** share of the decile's customers who churned; null when it is empty */
  readonly observed_rate: number | null;
}

/** The figures of a set of joined predictions (snake_case: the JSON of GET /experiments and `experiment report`). */
export interface RealizedFigures {
  /** joined predictions counted */
  readonly n: number;
  /** of which the customer churned */
  readonly churned: number;
  readonly churn_rate: number | null;
  /** Mann-Whitney AUC, ties counting 1/2; null unless both churners and non-churners are present */
  readonly auc: number | null;
  /** mean binary cross-entropy, probabilities clipped to [1e-15, 1 - 1e-15]; null when n = 0 */
  readonly log_loss: number | null;
  /** size of the riskiest-25% selection: the ceil(n/4) highest churn probabilities */
  readonly riskiest25_selected: number;
  /** churners among the selection / its size; null when n = 0 */
  readonly precision_riskiest25: number | null;
  /** churners in the selection / all churners; null without a churner */
  readonly recall_riskiest25: number | null;
  /** share of correct decisions (the 'correct-decision' reward); null when n = 0 */
  readonly mean_correct: number | null;
  readonly calibration: readonly CalibrationBin[];
}

/** The figures of one (model version, variant). */
export interface RealizedPerformance extends RealizedFigures {
  readonly version: string;
  readonly variant: string;
}

/**
 * The scored outcome of a 'joined' PredictionOutcome; null for any other kind and for a joined record missing what
 * the figures need (a version, a variant, a probability in [0, 1], the outcome). `correct` is the record's, or
 * predicted_churn === churned when a writer left it out.
 */
export function scoredOutcomeOf(
  record: PredictionOutcome,
): (ScoredOutcome & { version: string; variant: string }) | null {
  const { kind, model_version: version, variant, churn_probability: p, churned, predicted_churn: predicted } = record;
  if (kind !== 'joined' || version === null || variant === null || churned === null) return null;
  if (p === null || !(p >= 0 && p <= 1)) return null;
  const correct = record.correct ?? (predicted === null ? null : predicted === churned);
  if (correct === null) return null;
  return { version, variant, churnProbability: p, churned, correct };
}

/**
 * The realized figures of a set of joined predictions, in the order given (the order breaks ties of the riskiest-25%
 * selection: of equal probabilities, the earlier ones are selected first).
 */
export function realizedFigures(outcomes: readonly ScoredOutcome[]): RealizedFigures {
  const n = outcomes.length;
  let churned = 0;
  let correct = 0;
  let loss = 0;
  for (const o of outcomes) {
    if (o.churned) churned++;
    if (o.correct) correct++;
    const p = Math.min(Math.max(o.churnProbability, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
    loss -= o.churned ? Math.log(p) : Math.log(1 - p);
  }
  const selected = Math.ceil(n / 4);
  const caught = riskiest(outcomes, selected).filter((o) => o.churned).length;
  return {
    n,
    churned,
    churn_rate: n === 0 ? null : churned / n,
    auc: mannWhitneyAuc(outcomes),
    log_loss: n === 0 ? null : loss / n,
    riskiest25_selected: selected,
    precision_riskiest25: n === 0 ? null : caught / selected,
    recall_riskiest25: churned === 0 ? null : caught / churned,
    mean_correct: n === 0 ? null : correct / n,
    calibration: calibration(outcomes),
  };
}

/**
 * The realized performance of every (model version, variant) among `records` (PredictionOutcome records of the
 * joined topic, in the order read): only 'joined' records count (scoredOutcomeOf). Ordered by version, then
 * variant.
 */
export function realizedPerformance(records: Iterable<PredictionOutcome>): RealizedPerformance[] {
  const groups = new Map<string, { version: string; variant: string; outcomes: ScoredOutcome[] }>();
  for (const record of records) {
    const scored = scoredOutcomeOf(record);
    if (scored === null) continue;
    const key = versionVariantKey(scored.version, scored.variant);
    let group = groups.get(key);
    if (group === undefined) {
      group = { version: scored.version, variant: scored.variant, outcomes: [] };
      groups.set(key, group);
    }
    group.outcomes.push(scored);
  }
  return [...groups.values()]
    .map(({ version, variant, outcomes }) => ({ version, variant, ...realizedFigures(outcomes) }))
    .sort(compareVersionVariant);
}

/**
 * AUC as the Mann-Whitney statistic: the share of (churner, non-churner) pairs where the churner has the higher
 * probability, ties counting 1/2. Computed from midranks in O(n log n); null unless both classes are present.
 */
export function mannWhitneyAuc(outcomes: readonly ScoredOutcome[]): number | null {
  const sorted = [...outcomes].sort((a, b) => a.churnProbability - b.churnProbability);
  let positives = 0;
  let positiveRankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (
      j < sorted.length &&
      (sorted[j] as ScoredOutcome).churnProbability === (sorted[i] as ScoredOutcome).churnProbability
    )
      j++;
    // ranks i+1 .. j share their mean
    const midrank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if ((sorted[k] as ScoredOutcome).churned) {
        positives++;
        positiveRankSum += midrank;
      }
    }
    i = j;
  }
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The `count` highest probabilities; of equal ones, the earlier in `outcomes` first. */
function riskiest(outcomes: readonly ScoredOutcome[], count: number): ScoredOutcome[] {
  return outcomes
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.churnProbability - a.o.churnProbability || a.i - b.i)
    .slice(0, count)
    .map(({ o }) => o);
}

/**
 * Calibration by decile: the outcomes in order of churn probability (equal ones in their order in `outcomes`), cut
 * into CALIBRATION_GROUPS groups of equal count (group g holds positions floor(g n / 10) to floor((g + 1) n / 10),
 * so sizes differ by at most one), each with its probability range, mean predicted probability and observed churn
 * rate. Fewer than ten outcomes leave some groups empty.
 */
function calibration(outcomes: readonly ScoredOutcome[]): CalibrationBin[] {
  const sorted = outcomes
    .map((o, i) => ({ o, i }))
    .sort((a, b) => a.o.churnProbability - b.o.churnProbability || a.i - b.i);
  const n = sorted.length;
  return Array.from({ length: CALIBRATION_GROUPS }, (_, g) => {
    const from = Math.floor((g * n) / CALIBRATION_GROUPS);
    const to = Math.floor(((g + 1) * n) / CALIBRATION_GROUPS);
    let predicted = 0;
    let churned = 0;
    for (let k = from; k < to; k++) {
      const { o } = sorted[k] as { o: ScoredOutcome };
      predicted += o.churnProbability;
      if (o.churned) churned++;
    }
    const count = to - from;
    return {
      decile: g + 1,
      lower: count === 0 ? null : (sorted[from] as { o: ScoredOutcome }).o.churnProbability,
      upper: count === 0 ? null : (sorted[to - 1] as { o: ScoredOutcome }).o.churnProbability,
      count,
      mean_predicted: count === 0 ? null : predicted / count,
      observed_rate: count === 0 ? null : churned / count,
    };
  });
}

export function versionVariantKey(version: string, variant: string): string {
  return `${version}\u0000${variant}`;
}

/** By version, then variant. */
export function compareVersionVariant(
  a: { readonly version: string; readonly variant: string },
  b: { readonly version: string; readonly variant: string },
): number {
  return compareText(a.version, b.version) || compareText(a.variant, b.variant);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import type { IHeaders } from 'kafkajs';
import type { FeatureContribution } from '../model/explain.js';
import type { Variant } from '../rollout/rollout.js';
import type { ChurnPrediction, ChurnReason, CustomerEvent } from '../serde/avro-records.js';

/** Header names on prediction records (live and shadow alike). */
export const PREDICTION_HEADERS = {
  modelVersion: 'churn.model.version',
  /** champion | canary | ab | bandit (predictions), shadow (predictions.shadow) */
  variant: 'churn.variant',
  /** the revision of the rollout in force, in decimal */
  rolloutRevision: 'churn.rollout.revision',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/**
 * Headers of a `replay --compare` record on the replay topic: the version to compare with the champion, and
 * the id of the comparison run, which both of its predictions on the shadow topic carry back.
 */
export const COMPARE_HEADERS = {
  version: 'churn.compare.version',
  id: 'churn.compare.id',
} as const;

/** As what a prediction was made: a live variant of the rollout, or a shadow (scored on the side, never served). */
export type PredictionVariant = Variant | 'shadow';

export interface PredictionInput {
  event: CustomerEvent;
  probability: number;
  churn: boolean;
  model: { name: string; version: string; threshold: number };
  variant: PredictionVariant;
  rolloutRevision: number;
  replay: boolean;
  scoredAt: number;
  source: { topic: string; partition: number; offset: string };
  warnings: readonly string[];
  /** the top reasons (ChurnModel.reasons), largest |contribution| first; empty when none are written */
  reasons: readonly FeatureContribution[];
  /** the variant's share of customers under the rollout (VariantAssignment.probability); 1 for shadows */
  assignmentProbability: number;
}

/** How many reasons a prediction on the predictions topic carries (with model.reasons on). */
export const PREDICTION_REASON_COUNT = 3;

/** The ChurnPrediction value for one scored event (pure). */
export function predictionRecord(input: PredictionInput): ChurnPrediction {
  return {
    customerid: input.event.customerid,
    event_id: input.event.event_id,
    churn_probability: input.probability,
    churn: input.churn,
    threshold: input.model.threshold,
    model_name: input.model.name,
    model_version: input.model.version,
    replay: input.replay,
    scored_at: input.scoredAt,
    source_topic: input.source.topic,
    source_partition: input.source.partition,
    source_offset: Number(input.source.offset),
    warnings: input.warnings as string[],
    variant: input.variant,
    rollout_revision: input.rolloutRevision,
    reasons: reasonRecords(input.reasons),
    event_time: input.event.event_time,
    assignment_probability: input.assignmentProbability,
  };
}

// Frozen: every prediction without reasons shares it.
const NO_REASONS = Object.freeze([]) as unknown as ChurnReason[];

/**
 * The reasons as ChurnReason records: a number becomes its String() text. A known category's contribution already
 * has the record's shape (the model builds one per category, once), so only numbers and unseen categories are copied.
 */
function reasonRecords(reasons: readonly FeatureContribution[]): ChurnReason[] {
  if (reasons.length === 0) return NO_REASONS;
  const records = new Array<ChurnReason>(reasons.length);
  for (let i = 0; i < reasons.length; i++) {
    const reason = reasons[i] as FeatureContribution;
    records[i] =
      typeof reason.value === 'string' && reason.unseen === undefined
        ? (reason as ChurnReason)
        : { feature: reason.feature, value: String(reason.value), contribution: reason.contribution };
  }
  return records;
}

/**
 * Headers of a prediction: the model version, the variant and the rollout revision (so consumers can route
 * and count without decoding) and the W3C trace context of the input, so a trace follows the customer from
 * producer to email. `rolloutRevision` is the revision already in decimal: the caller keeps that string per
 * serving set rather than formatting it per record.
 */
export function predictionHeaders(
  inputHeaders: IHeaders | undefined,
  modelVersion: string,
  variant: PredictionVariant,
  rolloutRevision: string,
): IHeaders {
  const headers: IHeaders = {
    [PREDICTION_HEADERS.modelVersion]: modelVersion,
    [PREDICTION_HEADERS.variant]: variant,
    [PREDICTION_HEADERS.rolloutRevision]: rolloutRevision,
  };
  const traceparent = inputHeaders?.[PREDICTION_HEADERS.traceparent];
  if (traceparent !== undefined) headers[PREDICTION_HEADERS.traceparent] = traceparent;
  const tracestate = inputHeaders?.[PREDICTION_HEADERS.tracestate];
  if (tracestate !== undefined) headers[PREDICTION_HEADERS.tracestate] = tracestate;
  return headers;
}

/**
 * A header's value as text: the first value when the header repeats, undefined when absent or empty. kafkajs
 * hands header values as Buffers.
 */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.toString('utf8');
  return text === '' ? undefined : text;
}

import type { IHeaders } from 'kafkajs';
import { customerIdProblem } from '../contract/customer-id.js';
import type { ChurnPrediction, CustomerOutcome } from '../serde/avro-records.js';
import { COMPARE_HEADERS, headerText } from '../stream/prediction-record.js';

/**
 * Which of the join's input records count (pure): what the spec leaves out of the join, and what makes an outcome
 * unusable (a dead letter, never a stall).
 */

/** A record of predictions.shadow written by `replay --compare`: old events rescored, never served. */
export function isComparePrediction(headers: IHeaders | undefined): boolean {
  return headerText(headers, COMPARE_HEADERS.id) !== undefined;
}

/** A prediction the join leaves out: a replayed one (a past event rescored, not a decision made for the customer). */
export function isIgnoredPrediction(prediction: Pick<ChurnPrediction, 'replay'>): boolean {
  return prediction.replay;
}

/**
 * Why an outcome cannot be joined, or undefined when it can: its key must be its customerid (the partitioner put
 * it by the key, and the join looks the customer up in that partition's state), which must not be empty.
 */
export function outcomeProblem(key: Buffer | null, outcome: CustomerOutcome): string | undefined {
  const idProblem = customerIdProblem(outcome.customerid);
  if (idProblem !== undefined) return `customerid ${idProblem}`;
  if (key === null) return `no record key: an outcome is keyed by its customerid ('${clip(outcome.customerid)}')`;
  const text = key.toString('utf8');
  if (text !== outcome.customerid) {
    return (
      `record key '${clip(text)}' is not the outcome's customerid '${clip(outcome.customerid)}': it was placed by ` +
      "the key, so it may be in another partition than the customer's predictions"
    );
  }
  if (!Number.isSafeInteger(outcome.event_time)) return `event_time ${outcome.event_time} is not a time in ms`;
  return undefined;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

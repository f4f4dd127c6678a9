import type { IHeaders } from 'kafkajs';
import type { ChurnPrediction, CustomerEvent } from '../serde/avro-records.js';

/** Header names on prediction records. */
export const PREDICTION_HEADERS = {
  modelVersion: 'churn.model.version',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

export interface PredictionInput {
  event: CustomerEvent;
  probability: number;
  churn: boolean;
  model: { name: string; version: string; threshold: number };
  replay: boolean;
  scoredAt: number;
  source: { topic: string; partition: number; offset: string };
  warnings: readonly string[];
}

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
  };
}

/**
 * Headers of a prediction: the model version (so consumers can route without decoding) and
 * the W3C trace context of the input, so a trace follows the customer from producer to email.
 */
export function predictionHeaders(inputHeaders: IHeaders | undefined, modelVersion: string): IHeaders {
  const headers: IHeaders = { [PREDICTION_HEADERS.modelVersion]: modelVersion };
  const traceparent = inputHeaders?.[PREDICTION_HEADERS.traceparent];
  if (traceparent !== undefined) headers[PREDICTION_HEADERS.traceparent] = traceparent;
  const tracestate = inputHeaders?.[PREDICTION_HEADERS.tracestate];
  if (tracestate !== undefined) headers[PREDICTION_HEADERS.tracestate] = tracestate;
  return headers;
}

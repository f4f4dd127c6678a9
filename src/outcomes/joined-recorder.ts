import type { PredictionOutcome } from '../serde/avro-records.js';

/**
 * Told what each committed transaction of the outcome join wrote to the joined topic (joins, unmatched outcomes,
 * expired predictions), after the commit: the realized-performance tracker behind /experiments and the gauges.
 */
export interface JoinedRecorder {
  recordCommitted(records: readonly PredictionOutcome[]): void;
}

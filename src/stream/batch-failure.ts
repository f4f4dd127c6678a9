import type { TopicOutput } from './pending-transaction.js';
import {
  OutputTooLargeError,
  PartitionFencedError,
  RetriableBatchError,
  isAuthorizationError,
  isFencedError,
  isRebalanceError,
  isTooLargeError,
} from './transaction-errors.js';

/** The batch whose transaction failed. */
export interface FailedBatch {
  topic: string;
  partition: number;
  /** what the failed transaction was sending to each output topic */
  outputs: readonly TopicOutput[];
  /** stream.transactionMaxBytes */
  transactionMaxBytes: number;
}

export type BatchFailureKind = 'unauthorized' | 'output-too-large' | 'fenced' | 'rebalance' | 'retriable';

/** What eachBatch does about a failure: the error it throws and the one line it logs first. */
export interface BatchFailure {
  kind: BatchFailureKind;
  /** What eachBatch throws; kafkajs reads from it whether to retry the batch, rejoin the group or stop. */
  error: unknown;
  log: { level: 'error' | 'warn' | 'info'; fields: Record<string, unknown>; message: string };
}

/**
 * The mapping from a failed batch to retry or stop (pure). In order:
 * - not authorized: thrown as it is; kafkajs does not restart the consumer, the worker stops;
 * - refused as too large: OutputTooLargeError, fatal (the same transaction would be refused forever);
 * - fenced: PartitionFencedError, retriable; another worker owns the partition now;
 * - rebalance (from the heartbeat after a commit): thrown as it is, as kafkajs rejoins on its own errors;
 * - anything else: RetriableBatchError; the batch is retried from the committed offset.
 */
export function batchFailure(err: unknown, failed: FailedBatch): BatchFailure {
  const { topic, partition } = failed;
  if (isAuthorizationError(err)) {
    const message = 'not authorized: no retry can fix this; stopping';
    return { kind: 'unauthorized', error: err, log: { level: 'error', fields: { err, topic, partition }, message } };
  }
  if (isTooLargeError(err)) {
    const error = new OutputTooLargeError({ topic, partition }, failed.outputs, failed.transactionMaxBytes, err);
    const fields = { err, topic, partition, outputs: error.outputs };
    return { kind: 'output-too-large', error, log: { level: 'error', fields, message: error.message } };
  }
  if (isFencedError(err)) {
    const message = 'partition producer fenced by a newer owner; giving the partition up';
    const error = new PartitionFencedError(topic, partition, err);
    return { kind: 'fenced', error, log: { level: 'warn', fields: { err, topic, partition }, message } };
  }
  if (isRebalanceError(err)) {
    // Nothing is lost: the records committed before it stay committed, the rest go to the next owner.
    const message = 'group rebalancing; the rest of the batch waits for the next owner';
    const fields = { topic, partition, reason: messageOf(err) };
    return { kind: 'rebalance', error: err, log: { level: 'info', fields, message } };
  }
  const message = 'transaction failed; the batch is retried from the committed offset';
  const error = new RetriableBatchError(`${topic}[${partition}]: ${messageOf(err)}`, err);
  return { kind: 'retriable', error, log: { level: 'error', fields: { err, topic, partition }, message } };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

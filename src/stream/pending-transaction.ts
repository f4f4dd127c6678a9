import type { Message, TopicMessages } from 'kafkajs';
import { overflowsTransaction } from './output-size.js';
import type { RecordOutcome } from './record-decision.js';
import type { Rejection } from './rejection.js';

/** When a transaction must be committed, and where its outputs go; one per batch handler. */
export interface TransactionShape {
  /** stream.transactionMaxRecords (replay: stream.replayMaxRecordsPerBatch) */
  maxRecords: number;
  /** stream.transactionMaxMs */
  maxMs: number;
  /** the output bytes one transaction may carry (output-size.ts), so every record batch fits max.message.bytes */
  outputBudget: number;
  topics: { predictions: string; deadLetter: string };
}

/** The bytes a transaction sent to one output topic (for the error when the broker refuses them as too large). */
export interface TopicOutput {
  topic: string;
  bytes: number;
}

/**
 * The outcomes of the records one transaction will carry, gathered as they are decided, and the bounds that
 * say when to commit it: record count, age and output bytes. Pure (the clock is passed in): committing it
 * is the pipeline's job, and its outcomes count in the metrics only once that commit is acknowledged.
 */
export class PendingTransaction {
  readonly predictions: Message[] = [];
  readonly deadLetters: Message[] = [];
  /** the event_time of each prediction, for the end-to-end latency */
  readonly eventTimes: number[] = [];
  readonly rejections: Rejection[] = [];
  /** input records taken, predictions and dead letters together */
  records = 0;
  /** predictions over the model's threshold */
  churned = 0;
  /** offset of the last input record taken; '' while empty */
  lastOffset = '';
  private predictionBytes = 0;
  private deadLetterBytes = 0;

  constructor(
    readonly startedAt: number,
    private readonly shape: TransactionShape,
  ) {}

  /** Takes the outcome of the input record at `offset`. */
  add(outcome: RecordOutcome, offset: string): void {
    this.records++;
    this.lastOffset = offset;
    if (outcome.ok) {
      this.predictions.push(outcome.message);
      this.eventTimes.push(outcome.eventTime);
      this.predictionBytes += outcome.bytes;
      if (outcome.churn) this.churned++;
    } else {
      this.deadLetters.push(outcome.message);
      this.rejections.push(outcome.rejection);
      this.deadLetterBytes += outcome.bytes;
    }
  }

  /** Whether an output of `bytes` must go to the next transaction, as this one would outgrow its budget. */
  cannotTake(bytes: number): boolean {
    return overflowsTransaction(this.predictionBytes + this.deadLetterBytes, bytes, this.shape.outputBudget);
  }

  /** Whether it holds as many records as it may, or has been open as long as it may. */
  isFull(now: number): boolean {
    return this.records >= this.shape.maxRecords || now - this.startedAt >= this.shape.maxMs;
  }

  /** What to send, one entry per output topic that has records. */
  topicMessages(): TopicMessages[] {
    const { topics } = this.shape;
    const sends: TopicMessages[] = [];
    if (this.predictions.length > 0) sends.push({ topic: topics.predictions, messages: this.predictions });
    if (this.deadLetters.length > 0) sends.push({ topic: topics.deadLetter, messages: this.deadLetters });
    return sends;
  }

  /** The bytes sent to each output topic that has records. */
  outputs(): TopicOutput[] {
    const { topics } = this.shape;
    const written: TopicOutput[] = [];
    if (this.predictions.length > 0) written.push({ topic: topics.predictions, bytes: this.predictionBytes });
    if (this.deadLetters.length > 0) written.push({ topic: topics.deadLetter, bytes: this.deadLetterBytes });
    return written;
  }
}

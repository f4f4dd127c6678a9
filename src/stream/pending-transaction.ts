import type { Message, TopicMessages } from 'kafkajs';
import type { ServingSet } from '../serving/serving-set.js';
import { overflowsTransaction } from './output-size.js';
import type { RecordOutcome, ScoredRecord, ShadowFailure, UnscoredInput } from './record-decision.js';
import type { Rejection } from './rejection.js';

/** When a transaction must be committed, and where its outputs go; one per batch handler. */
export interface TransactionShape {
  /** stream.transactionMaxRecords (replay: stream.replayMaxRecordsPerBatch) */
  maxRecords: number;
  /** stream.transactionMaxMs */
  maxMs: number;
  /** the output bytes one transaction may carry (output-size.ts), so every record batch fits max.message.bytes */
  outputBudget: number;
  topics: { predictions: string; deadLetter: string; shadow: string };
}

/** The bytes a transaction sent to one output topic (for the error when the broker refuses them as too large). */
export interface TopicOutput {
  topic: string;
  bytes: number;
}

/**
 * The outcomes of the records one transaction will carry, gathered as they are decided, and the bounds that
 * say when to commit it: record count, age and output bytes. Pure (the clock is passed in): committing it
 * is the pipeline's job, and its outcomes count in the metrics and the experiments only once that commit is
 * acknowledged.
 *
 * Every record of it was decided with `set`, the serving set captured when it was opened: versions change only
 * between transactions.
 */
export class PendingTransaction {
  /** live predictions (variant champion, canary or ab) */
  readonly predictions: Message[] = [];
  /** shadow predictions, and both sides of `replay --compare` records */
  readonly shadowPredictions: Message[] = [];
  readonly deadLetters: Message[] = [];
  /** the event_time of each scored record, for the end-to-end latency */
  readonly eventTimes: number[] = [];
  readonly rejections: Rejection[] = [];
  /**
   * one per live prediction, for the experiment comparison and the drift windows (the outcomes themselves: see
   * ScoredRecord)
   */
  readonly observations: ScoredRecord[] = [];
  /** the decoded records refused as customers (invalid-customer), for the drift windows' missing values */
  readonly unscored: UnscoredInput[] = [];
  /** shadows that could not score a record whose live prediction this transaction carries */
  readonly shadowFailures: ShadowFailure[] = [];
  /** input records taken, scored and dead-lettered together */
  records = 0;
  /** live predictions over their model's threshold */
  churned = 0;
  /** offsets of the first and the last input record taken; '' while empty */
  firstOffset = '';
  lastOffset = '';
  private predictionBytes = 0;
  private shadowBytes = 0;
  private deadLetterBytes = 0;

  constructor(
    readonly startedAt: number,
    private readonly shape: TransactionShape,
    /** the serving set every record of this transaction is decided with */
    readonly set: ServingSet,
  ) {}

  /** Takes the outcome of the input record at `offset`. */
  add(outcome: RecordOutcome, offset: string): void {
    if (this.records++ === 0) this.firstOffset = offset;
    this.lastOffset = offset;
    if (outcome.ok) {
      if (outcome.live !== undefined) {
        this.predictions.push(outcome.live);
        this.predictionBytes += outcome.bytes - outcome.shadowBytes;
        this.observations.push(outcome);
        if (outcome.churn) this.churned++;
      }
      // Indexed loops: per record, and almost always over the shared empty arrays.
      const { shadows, shadowFailures } = outcome;
      for (let i = 0; i < shadows.length; i++) this.shadowPredictions.push(shadows[i] as Message);
      this.shadowBytes += outcome.shadowBytes;
      for (let i = 0; i < shadowFailures.length; i++) this.shadowFailures.push(shadowFailures[i] as ShadowFailure);
      this.eventTimes.push(outcome.eventTime);
    } else {
      this.deadLetters.push(outcome.message);
      this.rejections.push(outcome.rejection);
      if (outcome.unscored !== undefined) this.unscored.push(outcome.unscored);
      this.deadLetterBytes += outcome.bytes;
    }
  }

  /**
   * Whether a record's outputs of `bytes` (all its outputs together: a live prediction goes with its shadows)
   * must go to the next transaction, as this one would outgrow its budget.
   */
  cannotTake(bytes: number): boolean {
    const pending = this.predictionBytes + this.shadowBytes + this.deadLetterBytes;
    return overflowsTransaction(pending, bytes, this.shape.outputBudget);
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
    if (this.shadowPredictions.length > 0) sends.push({ topic: topics.shadow, messages: this.shadowPredictions });
    if (this.deadLetters.length > 0) sends.push({ topic: topics.deadLetter, messages: this.deadLetters });
    return sends;
  }

  /** The bytes sent to each output topic that has records. */
  outputs(): TopicOutput[] {
    const { topics } = this.shape;
    const written: TopicOutput[] = [];
    if (this.predictions.length > 0) written.push({ topic: topics.predictions, bytes: this.predictionBytes });
    if (this.shadowPredictions.length > 0) written.push({ topic: topics.shadow, bytes: this.shadowBytes });
    if (this.deadLetters.length > 0) written.push({ topic: topics.deadLetter, bytes: this.deadLetterBytes });
    return written;
  }
}

import type { Message } from 'kafkajs';
import type { PredictionOutcome } from '../serde/avro-records.js';
import { messageBytes, overflowsTransaction } from '../stream/output-size.js';
import type { JoinStep, StagedJoin } from './join-state.js';

/** A dead letter as the transaction carries it (already cut to the budget by fitDeadLetter). */
export interface JoinDeadLetter {
  readonly message: Message;
  readonly bytes: number;
  readonly reason: string;
}

/** What one input adds to a transaction: a step of the join, a dead letter, or nothing (an ignored record). */
export type JoinTransactionInput =
  | { readonly kind: 'step'; readonly step: JoinStep }
  | { readonly kind: 'dead-letter'; readonly letter: JoinDeadLetter }
  | { readonly kind: 'none' };

/**
 * The outputs of one transaction of a join task, gathered while its staged join takes the inputs (pure: the
 * record encoder is passed in). It counts every byte the transaction will send (the joined records, the dead
 * letters and the changelog records of its staged join) and refuses an input that would take them over the
 * output budget (src/stream/output-size.ts), so the shell commits first and gives the input to the next
 * transaction: no record batch of a transaction outgrows the topics' max.message.bytes. An empty transaction
 * takes any input: a single input's outputs (an outcome resolves all of its customer's pending predictions at
 * once) are never split, as they must commit with the input's offset.
 */
export class JoinTransaction {
  readonly records: PredictionOutcome[] = [];
  readonly joinedMessages: Message[] = [];
  readonly deadLetters: JoinDeadLetter[] = [];
  inputs = 0;
  lastOffset: string | undefined;
  private outputBytes = 0;

  constructor(
    readonly staged: StagedJoin,
    private readonly budget: number,
    private readonly encode: (record: PredictionOutcome) => Message,
  ) {}

  /** Joined records and dead letters (what transactionMaxRecords counts). */
  get outputs(): number {
    return this.records.length + this.deadLetters.length;
  }

  /** The most bytes the transaction's records add to record batches: joined, dead letters, changelog. */
  get bytes(): number {
    return this.outputBytes + this.staged.changelogBytes;
  }

  /**
   * Takes the input when it fits in the budget (or the transaction is empty) and returns true; false leaves the
   * transaction and its staged join as they were.
   */
  tryTake(input: JoinTransactionInput): boolean {
    switch (input.kind) {
      case 'none':
        return true;
      case 'dead-letter':
        if (overflowsTransaction(this.bytes, input.letter.bytes, this.budget)) return false;
        this.deadLetters.push(input.letter);
        this.outputBytes += input.letter.bytes;
        return true;
      case 'step': {
        const messages = input.step.records.map(this.encode);
        let bytes = input.step.changelogBytes;
        for (const message of messages) bytes += messageBytes(message);
        if (overflowsTransaction(this.bytes, bytes, this.budget)) return false;
        this.records.push(...input.step.apply());
        this.joinedMessages.push(...messages);
        for (const message of messages) this.outputBytes += messageBytes(message);
        return true;
      }
    }
  }
}

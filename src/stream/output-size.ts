import type { Message } from 'kafkajs';

/**
 * How many bytes an output record takes in a Kafka record batch (format v2, uncompressed), as an upper
 * bound: its key, value and header bytes plus the most their varint framing can take. The broker refuses a
 * record batch over the topic's max.message.bytes (MESSAGE_TOO_LARGE), and kafkajs sends all of a
 * transaction's records for one topic-partition as one batch; so a transaction whose outputs sum to at most
 * `transactionMaxBytes - RECORD_BATCH_OVERHEAD_BYTES` fits whatever partitions its records land on.
 *
 * Pure, and allocation-free: sizes come from the lengths of buffers and strings already there.
 */

/** A record's own framing: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
export const RECORD_FRAMING_BYTES = 36;
/** A header's framing: the key and value lengths. */
export const HEADER_FRAMING_BYTES = 10;
/** A v2 record batch's header (base offset to record count). */
export const RECORD_BATCH_OVERHEAD_BYTES = 61;

type Bytes = Buffer | string | null | undefined;

function bytesOf(data: Bytes): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
}

/** The most bytes `message` adds to a record batch. */
export function messageBytes(message: Pick<Message, 'key' | 'value' | 'headers'>): number {
  let bytes = RECORD_FRAMING_BYTES + bytesOf(message.key) + bytesOf(message.value);
  const headers = message.headers;
  if (headers === undefined) return bytes;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const nameBytes = HEADER_FRAMING_BYTES + Buffer.byteLength(name, 'utf8');
    if (Array.isArray(value)) {
      for (const item of value) bytes += nameBytes + bytesOf(item);
    } else {
      bytes += nameBytes + bytesOf(value);
    }
  }
  return bytes;
}

/** The output bytes one transaction may carry, so that any record batch of it fits in `transactionMaxBytes`. */
export function transactionOutputBudget(transactionMaxBytes: number): number {
  return transactionMaxBytes - RECORD_BATCH_OVERHEAD_BYTES;
}

/**
 * Whether adding an output of `bytes` to a transaction already holding `pendingBytes` would take it over
 * `budget`. An empty transaction always takes the output: outputs are cut to the budget before they get here.
 */
export function overflowsTransaction(pendingBytes: number, bytes: number, budget: number): boolean {
  return pendingBytes > 0 && pendingBytes + bytes > budget;
}

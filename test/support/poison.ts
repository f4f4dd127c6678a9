import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { frame } from '../../src/serde/wire-format.js';
import type { CollectedRecord } from './collectors.js';
import { must } from './must.js';

/** A record the worker must dead-letter, with the churn.error.type its dead letter must carry. */
export interface PoisonRecord {
  kind: string;
  expectedType: string;
  /** unique: how its dead letter is found */
  key: string;
  message: Message;
}

/** `perKind` records of each kind of undecodable or invalid input a broken upstream sends. */
export function poisonRecords(
  encoder: AvroEncoder<CustomerEvent>,
  sample: CustomerEvent,
  perKind: number,
): PoisonRecord[] {
  const valid = encoder.encode(sample);
  const kinds: { kind: string; expectedType: string; value: () => Buffer | null }[] = [
    { kind: 'null-value', expectedType: 'empty', value: () => null },
    { kind: 'json-text', expectedType: 'unknown-magic-byte', value: () => Buffer.from(JSON.stringify(sample)) },
    {
      kind: 'unknown-schema-id',
      expectedType: 'unknown-schema-id',
      value: () => frame(999_999_999, valid.subarray(5)),
    },
    { kind: 'truncated-body', expectedType: 'truncated', value: () => valid.subarray(0, Math.floor(valid.length / 2)) },
    {
      kind: 'trailing-bytes',
      expectedType: 'trailing-bytes',
      value: () => Buffer.concat([valid, Buffer.from([1, 2, 3])]),
    },
    {
      kind: 'negative-tenure',
      expectedType: 'invalid-customer',
      value: () => encoder.encode({ ...sample, tenure: -5 }),
    },
  ];
  return kinds.flatMap((k) =>
    Array.from({ length: perKind }, (_, i) => {
      const key = `poison-${k.kind}-${i}-${randomUUID().slice(0, 8)}`;
      return { kind: k.kind, expectedType: k.expectedType, key, message: { key, value: k.value() } };
    }),
  );
}

/** Inserts the poison records at random places among the messages (in place) and returns them. */
export function mixIn(messages: Message[], poison: readonly PoisonRecord[]): Message[] {
  for (const p of poison) messages.splice(Math.floor(Math.random() * (messages.length + 1)), 0, p.message);
  return messages;
}

/**
 * What is wrong with the dead-letter topic as read by a read_committed reader: each poison record must have
 * exactly one dead letter with the expected reason, and nothing else may be there.
 */
export function deadLetterProblems(
  poison: readonly PoisonRecord[],
  letters: readonly CollectedRecord<unknown>[],
): string[] {
  const byKey = new Map<string, CollectedRecord<unknown>[]>();
  for (const letter of letters) {
    const key = letter.key ?? '';
    byKey.set(key, [...(byKey.get(key) ?? []), letter]);
  }
  const problems: string[] = [];
  for (const p of poison) {
    const found = byKey.get(p.key) ?? [];
    if (found.length !== 1) {
      problems.push(`${p.kind} ${p.key}: ${found.length} dead letters`);
      continue;
    }
    const type = must(found[0], `the dead letter of ${p.key}`).headers['churn.error.type'];
    if (type !== p.expectedType)
      problems.push(`${p.kind} ${p.key}: churn.error.type=${type}, expected ${p.expectedType}`);
  }
  const keys = new Set(poison.map((p) => p.key));
  const strays = letters.filter((l) => !keys.has(l.key ?? ''));
  if (strays.length > 0) {
    problems.push(
      `${strays.length} dead letters for valid records, e.g. ${strays[0]?.key}: ${strays[0]?.headers['churn.error.message']}`,
    );
  }
  return problems;
}

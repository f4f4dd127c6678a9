import { describe, expect, it } from 'vitest';
import {
  changelogUpdateBytes,
  decodeChangelogRecord,
  encodeChangelogUpdate,
  JOIN_CHANGELOG_FORMAT,
  JoinChangelogError,
  type ChangelogUpdate,
  type PendingPrediction,
} from '../../../src/outcomes/join-changelog.js';
import { messageBytes } from '../../../src/stream/output-size.js';

const P: PendingPrediction = {
  event_id: 'ev-1',
  model_version: '1.1.0',
  variant: 'canary',
  rollout_revision: 3,
  churn_probability: 0.123456789012345,
  predicted_churn: false,
  assignment_probability: 0.1,
  prediction_time: 1_733_000_000_123,
};

const SOURCE = { topic: 'chg', partition: 0, groupId: 'scorer.outcomes' };

describe('the join changelog codec', () => {
  it('writes one pending prediction per record, keyed by customer, version, variant and event id', () => {
    const { key, value } = encodeChangelogUpdate({ kind: 'pending', customerid: 'c-1', prediction: P });
    expect(key.toString('utf8')).toBe('p:["c-1","1.1.0","canary","ev-1"]');
    const body = JSON.parse(String(value)) as Record<string, unknown>;
    expect(body).toEqual({ format: JOIN_CHANGELOG_FORMAT, ...P });
    expect(JOIN_CHANGELOG_FORMAT).toBe('churn.join-state/2');
    expect(decodeChangelogRecord(key, value)).toEqual({ kind: 'pending', customerid: 'c-1', prediction: P });
  });

  it('writes a resolved prediction as a tombstone under the same key', () => {
    const put = encodeChangelogUpdate({ kind: 'pending', customerid: 'c-1', prediction: P });
    const resolved: ChangelogUpdate = {
      kind: 'resolved',
      customerid: 'c-1',
      model_version: '1.1.0',
      variant: 'canary',
      event_id: 'ev-1',
    };
    const record = encodeChangelogUpdate(resolved);
    expect(record.value).toBeNull();
    expect(record.key.equals(put.key)).toBe(true);
    expect(decodeChangelogRecord(record.key, record.value)).toEqual(resolved);
  });

  it('keeps keys apart whatever the ids hold (no separator an id could forge)', () => {
    const a = encodeChangelogUpdate({
      kind: 'pending',
      customerid: 'a\u0000b',
      prediction: { ...P, model_version: 'c' },
    });
    const b = encodeChangelogUpdate({
      kind: 'pending',
      customerid: 'a',
      prediction: { ...P, model_version: 'b\u0000c' },
    });
    expect(a.key.equals(b.key)).toBe(false);
    expect(decodeChangelogRecord(a.key, a.value)).toMatchObject({ customerid: 'a\u0000b' });
    expect(decodeChangelogRecord(b.key, b.value)).toMatchObject({
      customerid: 'a',
      prediction: { model_version: 'b\u0000c' },
    });
  });

  it('keeps the stream time under a key no prediction can take', () => {
    const time = encodeChangelogUpdate({ kind: 'stream-time', streamTime: 42 });
    expect(time.key.toString('utf8')).toBe('t');
    expect(decodeChangelogRecord(time.key, time.value)).toEqual({ kind: 'stream-time', streamTime: 42 });
    const customer = encodeChangelogUpdate({ kind: 'pending', customerid: 't', prediction: P });
    expect(decodeChangelogRecord(customer.key, customer.value)).toMatchObject({ kind: 'pending', customerid: 't' });
  });

  it('sizes a record as the output budget counts it', () => {
    const update = { kind: 'pending', customerid: 'c-1', prediction: P } as const;
    expect(changelogUpdateBytes(update)).toBe(messageBytes(encodeChangelogUpdate(update)));
  });

  it('refuses the unreleased list-per-customer format with the way to reset the join', () => {
    const legacy = Buffer.from(JSON.stringify({ format: 'churn.join-state/1', pending: [P] }));
    const reset = /chg\[0\]: .*churn\.join-state\/1.*delete the topic chg and the consumer group scorer\.outcomes/;
    expect(() => decodeChangelogRecord(Buffer.from('c:a'), legacy, SOURCE)).toThrow(JoinChangelogError);
    expect(() => decodeChangelogRecord(Buffer.from('c:a'), legacy, SOURCE)).toThrow(reset);
    expect(() => decodeChangelogRecord(Buffer.from('c:a'), null, SOURCE)).toThrow(reset);
    const legacyTime = Buffer.from(JSON.stringify({ format: 'churn.join-state/1', stream_time: 5 }));
    expect(() => decodeChangelogRecord(Buffer.from('t'), legacyTime, SOURCE)).toThrow(reset);
    try {
      decodeChangelogRecord(Buffer.from('c:a'), legacy, SOURCE);
    } catch (err) {
      expect((err as JoinChangelogError).oneLine).not.toContain('\n');
      expect((err as JoinChangelogError).code).toBe('CHURN_ERR_JOIN_CHANGELOG');
    }
  });

  it('refuses another format, a foreign key and a malformed entry with one clear error', () => {
    const key = encodeChangelogUpdate({ kind: 'pending', customerid: 'a', prediction: P }).key;
    const other = Buffer.from(JSON.stringify({ format: 'churn.join-state/3', ...P }));
    expect(() => decodeChangelogRecord(key, other, SOURCE)).toThrow(
      /chg\[0\]: format "churn.join-state\/3" is not churn.join-state\/2.*delete the topic chg/,
    );
    expect(() => decodeChangelogRecord(Buffer.from('x'), null)).toThrow(/not a pending prediction/);
    expect(() => decodeChangelogRecord(Buffer.from('p:["a","b"]'), null)).toThrow(/is not \[customerid/);
    expect(() => decodeChangelogRecord(Buffer.from('p:{'), null)).toThrow(/is not \[customerid/);
    expect(() => decodeChangelogRecord(null, null)).toThrow(/without a key/);
    const bad = Buffer.from(JSON.stringify({ format: JOIN_CHANGELOG_FORMAT, ...P, prediction_time: 'soon' }));
    expect(() => decodeChangelogRecord(key, bad)).toThrow(/prediction_time is not a number/);
    const foreign = Buffer.from(JSON.stringify({ format: JOIN_CHANGELOG_FORMAT, ...P, event_id: 'ev-2' }));
    expect(() => decodeChangelogRecord(key, foreign)).toThrow(/not its key's/);
    expect(() => decodeChangelogRecord(key, Buffer.from('{'))).toThrow(/not JSON/);
  });
});

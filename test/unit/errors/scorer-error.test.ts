import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import {
  OutputTooLargeError,
  PartitionFencedError,
  RetriableBatchError,
} from '../../../src/stream/transaction-errors.js';
import { EncodeError } from '../../../src/serde/avro-encoder.js';

describe('ScorerError', () => {
  it('gives each instance the code of its own class, also a subclass of a subclass', () => {
    expect(new RetriableBatchError('customers[0]: timeout', undefined).code).toBe('CHURN_ERR_BATCH_RETRIABLE');
    const fenced = new PartitionFencedError('customers', 0, undefined);
    expect(fenced.code).toBe('CHURN_ERR_PARTITION_FENCED');
    expect(fenced).toBeInstanceOf(RetriableBatchError);
    expect(fenced.name).toBe('PartitionFencedError');
  });

  it('takes retriable, expected and the exit code from the code', () => {
    const fenced = new PartitionFencedError('customers', 0, undefined);
    expect({ retriable: fenced.retriable, expected: fenced.expected, exitCode: fenced.exitCode }).toEqual({
      retriable: true,
      expected: true,
      exitCode: 1,
    });
    const tooLarge = new OutputTooLargeError({ topic: 'customers', partition: 0 }, [], 1_000_000, undefined);
    expect(tooLarge.retriable).toBe(false);
    const bug = new EncodeError('churn.ChurnPrediction', ['churn']);
    expect({ retriable: bug.retriable, expected: bug.expected }).toEqual({ retriable: false, expected: false });
  });

  it('lets an instance say whether it is retriable when its code cannot (the registry answer decides)', () => {
    const outage = new SchemaRegistryError('answered 503', { operation: 'getSchemaById', status: 503 });
    const unknown = new SchemaRegistryError('answered 404', { operation: 'getSchemaById', status: 404 });
    expect([outage.code, outage.retriable, unknown.code, unknown.retriable]).toEqual([
      'CHURN_ERR_REGISTRY',
      true,
      'CHURN_ERR_REGISTRY',
      false,
    ]);
  });

  it('puts code and retriable in the log line of the error, and keeps its cause', () => {
    const lines: string[] = [];
    const log = pino({ base: null, timestamp: false }, { write: (line: string) => lines.push(line) });
    const cause = new Error('EACCES');
    log.error(
      { err: new ConfigError([{ key: 'kafka.ssl.caFile', message: 'cannot read /ca.pem' }], { cause }) },
      'start-up failed',
    );
    const { err } = JSON.parse(lines.join('')) as { err: Record<string, unknown> };
    expect(err).toMatchObject({ type: 'ConfigError', code: 'CHURN_ERR_CONFIG', retriable: false });
    expect(String(err['message'])).toContain('kafka.ssl.caFile: cannot read /ca.pem');
    expect(JSON.stringify(err)).toContain('EACCES');
  });

  it('says a message of several lines on one', () => {
    const err = new ConfigError([
      { key: 'http.port', message: 'not an integer' },
      { key: 'log.level', message: 'not a level' },
    ]);
    expect(err.message).toBe('Invalid configuration:\n  - http.port: not an integer\n  - log.level: not a level');
    expect(err.oneLine).toBe('http.port: not an integer; log.level: not a level');
    expect(new RetriableBatchError('first\n  second', undefined).oneLine).toBe('first; second');
  });
});

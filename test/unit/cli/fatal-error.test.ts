import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE } from '../../../src/cli/exit-codes.js';
import { CliError, fatalReport } from '../../../src/cli/fatal-error.js';
import { ConfigError } from '../../../src/config/index.js';
import type { ScorerError } from '../../../src/errors/scorer-error.js';
import { KafkaAuthenticationError, KafkaUnreachableError } from '../../../src/kafka/startup-connect.js';
import { TopicLeadersTimeoutError } from '../../../src/kafka/topic-leaders.js';
import { MissingTopicsError } from '../../../src/kafka/topics.js';
import { ModelArtifactError } from '../../../src/model/index.js';
import { ReplayRangeError } from '../../../src/replay/replay-range.js';
import { EncodeError } from '../../../src/serde/avro-encoder.js';
import { RegistryAuthError } from '../../../src/serde/schema-registry.js';
import { RegistryUnreachableError } from '../../../src/stream/registry-startup.js';
import { SchemaNotRegisteredError } from '../../../src/stream/schema-provisioning.js';
import { TransactionsUnavailableError } from '../../../src/stream/transactions-check.js';

/** What main.ts prints: the line, and whether a stack trace follows it. */
function report(err: unknown): { line: string; stack: boolean } {
  const { line, stack } = fatalReport(err);
  return { line, stack: stack !== undefined };
}

function describeFatalError(err: unknown): string {
  return fatalReport(err).line;
}

describe('the one line a failed start-up prints', () => {
  it('names the brokers, how long it tried, the last error and what to do when Kafka does not answer', () => {
    const err = new KafkaUnreachableError(
      ['127.0.0.1:9092'],
      29_612,
      'Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    );
    expect(report(err)).toEqual({
      line:
        'cannot reach Kafka at 127.0.0.1:9092 for 30 s (Connection error: connect ECONNREFUSED 127.0.0.1:9092): ' +
        'set KAFKA_BROKERS or start the local stack with `npm run stack:up`',
      stack: false,
    });
  });

  it('lists every broker, gives tenths of a second under 10 s and leaves the cause out when there was none', () => {
    const err = new KafkaUnreachableError(['b1:9092', 'b2:9093'], 2_449, undefined);
    expect(describeFatalError(err)).toBe(
      'cannot reach Kafka at b1:9092, b2:9093 for 2.4 s: set KAFKA_BROKERS or start the local stack with `npm run stack:up`',
    );
  });

  it('names the registry URL it was given and the low-level reason when the registry does not answer', () => {
    const err = new RegistryUnreachableError(
      'http://svc:[redacted]@registry:8081',
      30_000,
      'getaddrinfo ENOTFOUND registry',
    );
    expect(report(err)).toEqual({
      line:
        'cannot reach the schema registry at http://svc:[redacted]@registry:8081 for 30 s (getaddrinfo ENOTFOUND registry): ' +
        'set SCHEMA_REGISTRY_URL or start the local stack with `npm run stack:up`',
      stack: false,
    });
  });

  it('names the missing topics and the switch that creates them', () => {
    const err = new MissingTopicsError(['predictions', 'customers.dlq']);
    const { line, stack } = report(err);
    expect(stack).toBe(false);
    expect(line).toMatch(/^topics missing: predictions, customers\.dlq; /);
    expect(line).toContain('TOPICS_CREATE=true');
  });

  it('lists every configuration problem on one line and says where the variables are documented', () => {
    const err = new ConfigError([
      { key: 'http.port', message: 'env PORT="eighty" is not an integer' },
      { key: 'service.startupTimeoutMs', message: 'env STARTUP_TIMEOUT_MS="soon" is not an integer' },
    ]);
    expect(report(err)).toEqual({
      line:
        'invalid configuration: http.port: env PORT="eighty" is not an integer; ' +
        'service.startupTimeoutMs: env STARTUP_TIMEOUT_MS="soon" is not an integer (config/README.md lists the keys and variables)',
      stack: false,
    });
  });

  it('says how to point at a model when the artifact cannot be loaded', () => {
    const err = new ModelArtifactError(
      '/nowhere/model.json',
      undefined,
      'model directory /nowhere does not exist or is not a directory',
    );
    const { line, stack } = report(err);
    expect(stack).toBe(false);
    expect(line).toBe(
      'cannot load model: /nowhere/model.json: model directory /nowhere does not exist or is not a directory; ' +
        'point MODEL_DIR or --model at a model directory (models/churn/1.0.0; `npm run train` writes one)',
    );
  });

  it('keeps usage and file-system errors as they are, without a stack', () => {
    expect(report(new CliError('--from: not a time or an offset'))).toEqual({
      line: '--from: not a time or an offset',
      stack: false,
    });
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'in.jsonl'"), { code: 'ENOENT' });
    expect(report(enoent)).toEqual({ line: "ENOENT: no such file or directory, open 'in.jsonl'", stack: false });
  });

  it('calls anything else unexpected, which gets its stack trace', () => {
    expect(report(new TypeError('x is undefined'))).toEqual({ line: 'unexpected error: x is undefined', stack: true });
    expect(report('a string')).toEqual({ line: 'unexpected error: a string', stack: false }); // a string has no stack
    // Node's own ERR_* codes are programming errors, not a path the user gave
    const misuse = Object.assign(new TypeError('The "path" argument must be of type string'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
    expect(report(misuse)).toEqual({
      line: 'unexpected error: The "path" argument must be of type string',
      stack: true,
    });
  });

  it('gives a bug of ours with a code (a prediction our own schema refuses) its stack trace too', () => {
    const err = new EncodeError('churn.ChurnPrediction', ['churn_probability']);
    expect(fatalReport(err)).toMatchObject({
      line: 'unexpected error: value does not match churn.ChurnPrediction: invalid churn_probability',
      exitCode: EXIT_FAILURE,
    });
    expect(fatalReport(err).stack).toContain('EncodeError: value does not match');
  });

  it('is one line for every expected failure', () => {
    const errors = [
      new KafkaUnreachableError(['h:1'], 1, 'x'),
      new RegistryUnreachableError('http://h:1', 1, 'x'),
      new MissingTopicsError(['t']),
      new ConfigError([
        { key: 'a', message: 'b' },
        { key: 'c', message: 'd' },
      ]),
    ];
    for (const err of errors) expect(describeFatalError(err)).not.toContain('\n');
  });
});

describe('the CLI reads the error code, not the class', () => {
  const sasl = new KafkaAuthenticationError(
    ['b1:9092', 'b2:9092'],
    'scram-sha-512',
    'SASL SCRAM SHA512 authentication failed',
  );
  const cases: { err: ScorerError; code: string; line: string }[] = [
    {
      err: sasl,
      code: 'CHURN_ERR_KAFKA_AUTH',
      line:
        'Kafka at b1:9092, b2:9092 refused SASL scram-sha-512 authentication (SASL SCRAM SHA512 authentication failed): ' +
        'check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (KAFKA_SASL_MECHANISM=none when the listener does not use SASL)',
    },
    {
      err: new TransactionsUnavailableError('Kafka transactions are not available (x); check the TransactionalId ACLs'),
      code: 'CHURN_ERR_TRANSACTIONS_UNAVAILABLE',
      line: 'Kafka transactions are not available (x); check the TransactionalId ACLs',
    },
    {
      err: new SchemaNotRegisteredError('churn.CustomerEvent', 'customers-value', 'http://registry:8081'),
      code: 'CHURN_ERR_SCHEMA_NOT_REGISTERED',
      line:
        'schema churn.CustomerEvent is not registered under subject customers-value at http://registry:8081; register it ' +
        '(schemas/ has the .avsc files) or set topics.create=true (env TOPICS_CREATE=true) to let the worker do it',
    },
    {
      err: new RegistryAuthError(
        'schema registry refused our credentials (401) at http://registry:8081: POST /subjects/x',
        {
          operation: 'register',
          status: 401,
        },
      ),
      code: 'CHURN_ERR_REGISTRY_AUTH',
      line: 'schema registry refused our credentials (401) at http://registry:8081: POST /subjects/x',
    },
    {
      err: new TopicLeadersTimeoutError('topics a, b were created but have no partition leaders after 30000 ms'),
      code: 'CHURN_ERR_TOPIC_LEADERS_TIMEOUT',
      line: 'topics a, b were created but have no partition leaders after 30000 ms',
    },
    {
      err: new ConfigError([{ key: 'kafka.ssl.caFile', message: 'cannot read /etc/ca.pem: ENOENT' }]),
      code: 'CHURN_ERR_CONFIG',
      line: 'invalid configuration: kafka.ssl.caFile: cannot read /etc/ca.pem: ENOENT (config/README.md lists the keys and variables)',
    },
    {
      err: new ReplayRangeError('--to 5 is before --from 9'),
      code: 'CHURN_ERR_REPLAY_RANGE',
      line: '--to 5 is before --from 9',
    },
  ];

  it.each(cases)('$code: one line saying what to do, exit 1, no stack trace', ({ err, code, line }) => {
    expect(err.code).toBe(code);
    expect(fatalReport(err)).toEqual({ line, stack: undefined, exitCode: EXIT_FAILURE });
  });

  it('keeps the one-line promise when a message spans lines', () => {
    const err = new TransactionsUnavailableError('first\n  second');
    expect(fatalReport(err).line).toBe('first; second');
  });
});

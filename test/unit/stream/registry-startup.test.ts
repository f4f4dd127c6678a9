import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';
import { RegistryUnreachableError, whenRegistryAnswers } from '../../../src/stream/registry-startup.js';

/** What HttpSchemaRegistryClient throws when fetch gets no response: fetch's TypeError, the socket error under it. */
function noAnswer(): SchemaRegistryError {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  return new SchemaRegistryError(
    'schema registry register, subject customers-value: POST http://127.0.0.1:1/subjects/customers-value/versions failed',
    {
      operation: 'register',
      subject: 'customers-value',
      cause: new TypeError('fetch failed', { cause: socket }),
    },
  );
}

function answered(status: number): SchemaRegistryError {
  return new SchemaRegistryError(`schema registry register: answered ${status}`, { operation: 'register', status });
}

function capturingLogger(): { log: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    log: pino({ level: 'info' }, sink),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A start-up step that fails with the given errors in turn, then succeeds. */
function stepFailing(errors: Error[]): { step: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    step: () => {
      const error = errors[calls++];
      return error === undefined ? Promise.resolve('provisioned') : Promise.reject(error);
    },
    calls: () => calls,
  };
}

describe('whenRegistryAnswers (start-up schema provisioning against a registry that may not be up yet)', () => {
  it('waits for a registry that comes up within the budget, logging each retry', async () => {
    const { log, lines } = capturingLogger();
    const { step, calls } = stepFailing([noAnswer(), noAnswer()]);
    await expect(whenRegistryAnswers(step, { url: 'http://registry:8081', budgetMs: 10_000, log })).resolves.toBe(
      'provisioned',
    );
    expect(calls()).toBe(3);
    const retries = lines().filter((l) => l['msg'] === 'schema registry not answering; retrying');
    expect(retries.map((l) => [l['registry'], l['reason']])).toEqual([
      ['http://registry:8081', 'connect ECONNREFUSED 127.0.0.1:1'],
      ['http://registry:8081', 'connect ECONNREFUSED 127.0.0.1:1'],
    ]);
  });

  it('gives up at the end of the budget with the URL and the socket error', async () => {
    const { log } = capturingLogger();
    const { step, calls } = stepFailing(Array.from({ length: 100 }, noAnswer));
    const error = await whenRegistryAnswers(step, {
      url: 'http://u:[redacted]@registry:8081',
      budgetMs: 1_000,
      log,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnreachableError);
    const unreachable = error as RegistryUnreachableError;
    expect(unreachable.url).toBe('http://u:[redacted]@registry:8081');
    expect(unreachable.lastError).toBe('connect ECONNREFUSED 127.0.0.1:1');
    // attempts at 0, 250 and 750 ms, the last at the end of the budget (the 1 s backoff cut to what is left)
    expect(calls()).toBe(4);
    expect(unreachable.waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(unreachable.waitedMs).toBeLessThan(1_500);
  });

  it.each([401, 403, 404, 500])('passes an HTTP %i answer through at once: the registry is there', async (status) => {
    const { log } = capturingLogger();
    const failure = answered(status);
    const { step, calls } = stepFailing([failure]);
    await expect(whenRegistryAnswers(step, { url: 'http://registry:8081', budgetMs: 10_000, log })).rejects.toBe(
      failure,
    );
    expect(calls()).toBe(1);
  });

  it('passes other errors through at once', async () => {
    const { log } = capturingLogger();
    const failure = new Error('schema customers-value is not registered');
    const { step, calls } = stepFailing([failure]);
    await expect(whenRegistryAnswers(step, { url: 'http://registry:8081', budgetMs: 10_000, log })).rejects.toBe(
      failure,
    );
    expect(calls()).toBe(1);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorChain } from '../errors/error-chain.js';
import { ScorerError } from '../errors/scorer-error.js';
import { describeWait, startupBackoffMs } from '../kafka/startup-connect.js';
import { SchemaRegistryError } from '../serde/schema-registry.js';

/** The schema registry gave no HTTP answer at all (nothing listening, name not resolved, timed out) at start-up. */
export class RegistryUnreachableError extends ScorerError {
  static override readonly code = 'CHURN_ERR_REGISTRY_UNREACHABLE';
  override readonly name = 'RegistryUnreachableError';

  constructor(
    /** the registry URL with any password hidden */
    readonly url: string,
    /** how long start-up kept trying */
    readonly waitedMs: number,
    /** the low-level reason of the last attempt, e.g. "connect ECONNREFUSED 127.0.0.1:8081" */
    readonly lastError: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the schema registry at ${url} for ${describeWait(waitedMs)} (${lastError})`, options);
  }
}

/**
 * A registry call that failed without any HTTP response: the registry is not there (yet). An HTTP error
 * status (401, 404, 500, ...) is an answer and is not this.
 */
export function gotNoAnswer(err: unknown): err is SchemaRegistryError {
  return err instanceof SchemaRegistryError && err.status === undefined && err.cause instanceof Error;
}

/** The innermost message of an error's cause chain (fetch keeps "connect ECONNREFUSED ..." two levels down). */
function innermostMessage(err: Error): string {
  const innermost = errorChain(err).findLast((e): e is Error => e instanceof Error) ?? err;
  return innermost.message;
}

export interface RegistryStartupOptions {
  /** for messages: the registry URL with any password hidden */
  url: string;
  budgetMs: number;
  log: Logger;
}

/**
 * Runs a start-up step that talks to the registry (schema provisioning, which is idempotent) until it gets
 * answers: a registry that is not up yet is waited for, with the same backoff as Kafka at start-up, for up
 * to `budgetMs` (the last attempt at the end of it); then RegistryUnreachableError. Any other failure passes
 * through at once. An attempt can take up to the client's request timeout.
 */
export async function whenRegistryAnswers<T>(step: () => Promise<T>, options: RegistryStartupOptions): Promise<T> {
  const started = Date.now();
  // Set once a pause was cut to what was left of the budget: the attempt after it is the last, however the
  // timer and the clock round (a timer may fire a millisecond before Date.now() says the budget is spent).
  let lastAttempt = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!gotNoAnswer(err)) throw err;
      const reason = innermostMessage(err);
      const leftMs = options.budgetMs - (Date.now() - started);
      if (lastAttempt || leftMs <= 0) {
        // The whole budget was waited, timer rounding aside.
        const waitedMs = Math.max(Date.now() - started, lastAttempt ? options.budgetMs : 0);
        throw new RegistryUnreachableError(options.url, waitedMs, reason, { cause: err });
      }
      const backoffMs = startupBackoffMs(attempt);
      lastAttempt = backoffMs >= leftMs;
      const pauseMs = Math.min(backoffMs, leftMs);
      options.log.warn(
        { registry: options.url, attempt, retryInMs: pauseMs, reason },
        'schema registry not answering; retrying',
      );
      await sleep(pauseMs);
    }
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ScorerError } from '../errors/scorer-error.js';
import { createKafka, type KafkaConnectionSettings } from './client.js';
import { describeKafkaError, findKafkaError, findSaslFailure } from './kafkajs-errors.js';

/** No broker of the list answered within the start-up budget (refused, unresolvable, timed out). */
export class KafkaUnreachableError extends ScorerError {
  static override readonly code = 'CHURN_ERR_KAFKA_UNREACHABLE';
  override readonly name = 'KafkaUnreachableError';

  constructor(
    readonly brokers: readonly string[],
    /** how long start-up kept trying */
    readonly waitedMs: number,
    /** the last connection error kafkajs reported, when there was one */
    readonly lastError: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `cannot reach Kafka at ${brokers.join(', ')} for ${describeWait(waitedMs)}` +
        (lastError === undefined ? '' : ` (${lastError})`),
      options,
    );
  }
}

/** A broker answered but did not take our SASL login (wrong credentials or mechanism, or a listener without SASL). */
export class KafkaAuthenticationError extends ScorerError {
  static override readonly code = 'CHURN_ERR_KAFKA_AUTH';
  override readonly name = 'KafkaAuthenticationError';

  constructor(
    readonly brokers: readonly string[],
    readonly mechanism: string,
    /** what the broker or kafkajs said; never the credentials */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Kafka at ${brokers.join(', ')} refused SASL ${mechanism} authentication (${reason})`, options);
  }
}

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

/** How long start-up waited, as the one-line start-up errors say it: "2.5 s", "30 s". Pure. */
export function describeWait(waitedMs: number): string {
  return `${(waitedMs / 1000).toFixed(waitedMs < 10_000 ? 1 : 0)} s`;
}

/** Pause after the n-th failed attempt (1-based): doubling from 250 ms, at most 5 s. Pure. */
export function startupBackoffMs(attempt: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);
}

/**
 * The first contact with Kafka: resolves once a broker of the list answers, or rejects with
 * KafkaUnreachableError when `budgetMs` has passed (with KafkaAuthenticationError at once when a broker
 * refuses our SASL login). Each attempt is a throw-away client with kafkajs' retries off (kafkajs takes retry options per client; the long-lived clients keep theirs), so the
 * attempts and their pauses are ours and end with the budget, the last one at the deadline. The deadline
 * also ends an attempt that hangs: a host that drops packets costs a connection timeout, a port that
 * accepts but never answers a request timeout. Other errors pass through.
 */
export async function awaitKafka(settings: KafkaConnectionSettings, logger: Logger, budgetMs: number): Promise<void> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  let lastError: Error | undefined;
  const unreachable = () =>
    new KafkaUnreachableError(
      settings.brokers,
      elapsed(),
      lastError?.message,
      lastError === undefined ? undefined : { cause: lastError },
    );
  // kafkajs logs two lines per failed connection; the line per attempt below says the same unless debugging.
  const probeLogger = logger.isLevelEnabled('debug') ? logger : logger.child({}, { level: 'error' });

  let timedOut = false;
  const attempts = async (): Promise<void> => {
    for (let attempt = 1; !timedOut; attempt++) {
      // A new kafkajs client always tries the first broker of its list first: rotate the list, so that a
      // dead first broker (one node of a cluster down) costs one attempt rather than the whole budget.
      const probe = createKafka({ ...settings, brokers: rotate(settings.brokers, attempt - 1) }, probeLogger, {
        retries: 0,
      }).admin();
      try {
        await probe.connect();
        return;
      } catch (err) {
        lastError = findConnectionError(err);
        if (lastError === undefined) throw refusedLoginOr(err, settings);
      } finally {
        await probe.disconnect().catch(() => undefined);
      }
      const left = budgetMs - elapsed();
      if (left <= 0) break;
      const pauseMs = Math.min(startupBackoffMs(attempt), left);
      logger.warn(
        { brokers: settings.brokers, attempt, reason: lastError.message, nextAttemptInMs: pauseMs },
        'Kafka not answering; trying again',
      );
      await sleep(pauseMs);
    }
    throw unreachable();
  };

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(unreachable());
    }, budgetMs);
  });
  try {
    await Promise.race([attempts(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A refused SASL login as KafkaAuthenticationError; any other error as it is. */
function refusedLoginOr(err: unknown, settings: KafkaConnectionSettings): unknown {
  const refusal = findSaslFailure(err);
  if (refusal === undefined || settings.sasl === null) return err;
  return new KafkaAuthenticationError(settings.brokers, settings.sasl.mechanism, describeKafkaError(refusal), {
    cause: err,
  });
}

/** The list starting at its `by`-th entry (modulo its length), the entries before it moved to the end. Pure. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  const start = list.length === 0 ? 0 : by % list.length;
  return [...list.slice(start), ...list.slice(0, start)];
}

const CONNECTION_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError']);

/** The kafkajs connection error in an error's cause chain (kafkajs wraps it in retry errors). Pure. */
export function findConnectionError(err: unknown): Error | undefined {
  return findKafkaError(err, CONNECTION_ERRORS);
}

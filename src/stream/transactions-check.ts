import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ScorerError } from '../errors/scorer-error.js';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import { findKafkaError, hasKafkaType } from '../kafka/kafkajs-errors.js';
import { findConnectionError, startupBackoffMs } from '../kafka/startup-connect.js';
import type { TransactionalClient } from './partition-leases.js';
import { isFencedError } from './transaction-errors.js';

/**
 * Answers that say "not now" rather than "no": a transaction coordinator that is moving or loading
 * (its broker died and the transaction log partition is getting a new leader), a request that timed out.
 */
const TRANSIENT_TYPES = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'GROUP_LOAD_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
  'REQUEST_TIMED_OUT',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
]);
const TRANSIENT_NAMES = new Set(['KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSLockTimeout']);

/** Whether a failed transactions check may pass when tried again shortly (pure). */
export function isTransientTransactionsError(err: unknown): boolean {
  return (
    findConnectionError(err) !== undefined ||
    hasKafkaType(err, TRANSIENT_TYPES) ||
    findKafkaError(err, TRANSIENT_NAMES) !== undefined
  );
}

/** The brokers cannot give the worker a transactional producer (after retrying what may pass). */
export class TransactionsUnavailableError extends ScorerError {
  static override readonly code = 'CHURN_ERR_TRANSACTIONS_UNAVAILABLE';
  override readonly name = 'TransactionsUnavailableError';
}

/**
 * Exactly-once needs transactions; a broker or ACL that cannot give us a transactional producer must
 * stop the worker at start-up, loudly, rather than let it run without guarantees.
 *
 * A broker of a replicated cluster that died a moment ago is not such a refusal: its transaction
 * coordinators move to the survivors within seconds, but kafkajs gives up on a coordinator it cannot
 * connect to after a few retries. So transient failures are tried again, each time with a new producer,
 * for at most `budgetMs`; anything else (authorization, an unsupported broker) fails at once.
 */
export async function checkTransactionsAvailable(
  kafka: TransactionalClient,
  groupId: string,
  log: Logger,
  budgetMs: number,
): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const failure = await tryTransaction(kafka, `${groupId}-startup-check`);
    // Fenced: another worker of the group, starting at the same moment, took the check's transactional id. The
    // coordinator answered both, so transactions work.
    if (failure === undefined || isFencedError(failure)) {
      log.info({ exactlyOnce: true }, 'Kafka transactions available: exactly-once processing on');
      return;
    }
    const left = budgetMs - (Date.now() - started);
    if (!isTransientTransactionsError(failure) || left <= 0) {
      throw new TransactionsUnavailableError(
        `Kafka transactions are not available (${failure.message}); churn-scorer only runs exactly-once and ` +
          'will not fall back to at-least-once. Check the transaction state log (transaction.state.log.replication.factor ' +
          '<= number of brokers) and the TransactionalId ACLs for the consumer group name.',
        { cause: failure },
      );
    }
    const pauseMs = Math.min(startupBackoffMs(attempt), left);
    log.warn(
      { attempt, reason: failure.message, nextAttemptInMs: pauseMs },
      'Kafka transactions not available yet; trying again',
    );
    await sleep(pauseMs);
  }
}

/** One empty transaction with a new producer; the error when it failed. */
async function tryTransaction(kafka: TransactionalClient, transactionalId: string): Promise<Error | undefined> {
  const producer = kafka.producer({ ...IDEMPOTENT_PRODUCER, transactionalId });
  try {
    await producer.connect();
    const txn = await producer.transaction();
    await txn.abort();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

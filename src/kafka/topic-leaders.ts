import type { Admin } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScorerError } from '../errors/scorer-error.js';
import { findKafkaError, kafkaTypeIn } from './kafkajs-errors.js';
import { findConnectionError } from './startup-connect.js';

/**
 * Answers that only mean "not yet" right after a topic was created. On a cluster of several brokers the broker
 * asked learns of a new topic from the controller asynchronously (the KRaft metadata log), so for a moment it
 * answers UNKNOWN_TOPIC_OR_PARTITION for a topic that does exist; and the broker the metadata names as leader may
 * answer NOT_LEADER_FOR_PARTITION (e.g. to ListOffsets) until it has taken the partition up, even on one broker.
 */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

/**
 * What a leader that died a moment ago looks like until the cluster notices (a broker's session outlives its
 * process by seconds): the metadata still names it, so connecting to it is refused or times out.
 */
const LEADER_GONE = new Set(['KafkaJSBrokerNotFound', 'KafkaJSRequestTimeoutError']);

/** The reason `err` may pass when tried again shortly (a topic or a leader not settled yet); undefined when not. Pure. */
export function unsettledReason(err: unknown): string | undefined {
  const type = kafkaTypeIn(err, NOT_YET);
  if (type !== undefined) return type;
  return (findConnectionError(err) ?? findKafkaError(err, LEADER_GONE))?.message;
}

/** Topics the worker created have no partition leaders in time (a cluster short of live brokers). */
export class TopicLeadersTimeoutError extends ScorerError {
  static override readonly code = 'CHURN_ERR_TOPIC_LEADERS_TIMEOUT';
  override readonly name = 'TopicLeadersTimeoutError';
}

/**
 * Waits until every partition of the topics has a leader. kafkajs' own createTopics({ waitForLeaders })
 * gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which made a worker creating its topics on a
 * replicated cluster exit at start-up now and then; this waits through it, for at most `timeoutMs`.
 */
export async function waitForTopicLeaders(
  admin: Pick<Admin, 'fetchTopicMetadata'>,
  topics: readonly string[],
  options: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let waitingFor: string;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const leaderless = topics.filter((name) => {
        const partitions = found.find((t) => t.name === name)?.partitions ?? [];
        return partitions.length === 0 || partitions.some((p) => p.leader < 0);
      });
      if (leaderless.length === 0) return;
      waitingFor = `no leader yet for ${leaderless.join(', ')}`;
    } catch (err) {
      const type = kafkaTypeIn(err, NOT_YET);
      if (type === undefined) throw err;
      waitingFor = `${type}: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) {
      throw new TopicLeadersTimeoutError(
        `topics ${topics.join(', ')} were created but have no partition leaders after ${options.timeoutMs} ms (${waitingFor})`,
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/**
 * Runs `action` (e.g. a consumer's subscribe, an admin's fetchTopicOffsets) again while it fails because a topic
 * created a moment ago is not settled yet (NOT_YET), or the leader the metadata names died a moment ago
 * (LEADER_GONE, connection refused), for at most `timeoutMs`. kafkajs takes these for fatal errors there (its
 * fetchTopicOffsets retries UNKNOWN_TOPIC_OR_PARTITION only): right after the topics were created a broker may
 * still be learning of them, and a new worker started while a broker of the cluster is down exited on it.
 */
export async function retryUntilTopicSettles<T>(
  action: () => Promise<T>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (err) {
      if (unsettledReason(err) === undefined || Date.now() >= deadline) throw err;
    }
    await sleep(options.intervalMs ?? 100);
  }
}

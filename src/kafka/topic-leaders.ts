import type { Admin } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScorerError } from '../errors/scorer-error.js';
import { kafkaTypeIn } from './kafkajs-errors.js';

/**
 * Answers that only mean "not yet" right after a topic was created. On a cluster of several brokers the broker
 * asked learns of a new topic from the controller asynchronously (the KRaft metadata log), so for a moment it
 * answers UNKNOWN_TOPIC_OR_PARTITION for a topic that does exist; and the broker the metadata names as leader may
 * answer NOT_LEADER_FOR_PARTITION (e.g. to ListOffsets) until it has taken the partition up, even on one broker.
 */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

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
 * created a moment ago is not settled yet (NOT_YET), for at most `timeoutMs`. kafkajs takes these answers for
 * fatal errors there; right after the topics were created, a broker may still be learning of them.
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
      if (kafkaTypeIn(err, NOT_YET) === undefined || Date.now() >= deadline) throw err;
    }
    await sleep(options.intervalMs ?? 100);
  }
}

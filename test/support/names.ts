import { randomBytes } from 'node:crypto';

/** Topic and group names of one test, unique per run so tests never see each other's records. */
export interface StreamNames {
  suffix: string;
  customers: string;
  predictions: string;
  deadLetter: string;
  replay: string;
  group: string;
}

export function uniqueNames(label: string): StreamNames {
  const suffix = `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  return {
    suffix,
    customers: `test.${suffix}.customers`,
    predictions: `test.${suffix}.predictions`,
    deadLetter: `test.${suffix}.customers.dlq`,
    replay: `test.${suffix}.customers.replay`,
    group: `test.${suffix}.scorer`,
  };
}

export function allTopics(names: StreamNames): string[] {
  return [names.customers, names.predictions, names.deadLetter, names.replay];
}

/** The worker's environment for these names (TOPIC_* and CONSUMER_GROUP). */
export function topicEnv(names: StreamNames): Record<string, string> {
  return {
    TOPIC_CUSTOMERS: names.customers,
    TOPIC_PREDICTIONS: names.predictions,
    TOPIC_DLQ: names.deadLetter,
    TOPIC_REPLAY: names.replay,
    CONSUMER_GROUP: names.group,
  };
}

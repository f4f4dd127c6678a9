import { randomBytes } from 'node:crypto';

/** Topic and group names of one test, unique per run so tests never see each other's records. */
export interface StreamNames {
  suffix: string;
  customers: string;
  predictions: string;
  deadLetter: string;
  replay: string;
  shadow: string;
  models: string;
  rollout: string;
  drift: string;
  outcomes: string;
  joined: string;
  joinChangelog: string;
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
    shadow: `test.${suffix}.predictions.shadow`,
    models: `test.${suffix}.models`,
    rollout: `test.${suffix}.models.rollout`,
    drift: `test.${suffix}.monitoring.drift`,
    outcomes: `test.${suffix}.customers.outcomes`,
    joined: `test.${suffix}.predictions.outcomes`,
    joinChangelog: `test.${suffix}.predictions.outcomes.changelog`,
    group: `test.${suffix}.scorer`,
  };
}

/** The topics a test creates up front: input, outputs, replay. The compacted model topics are left to the worker. */
export function streamTopics(names: StreamNames): string[] {
  return [names.customers, names.predictions, names.deadLetter, names.replay, names.shadow, names.drift];
}

/** Every topic a test may have made, to delete when it ends. */
export function allTopics(names: StreamNames): string[] {
  return [
    names.customers,
    names.predictions,
    names.deadLetter,
    names.replay,
    names.shadow,
    names.models,
    names.rollout,
    names.drift,
    names.outcomes,
    names.joined,
    names.joinChangelog,
  ];
}

/** The worker's environment for these names (TOPIC_* and CONSUMER_GROUP). */
export function topicEnv(names: StreamNames): Record<string, string> {
  return {
    TOPIC_CUSTOMERS: names.customers,
    TOPIC_PREDICTIONS: names.predictions,
    TOPIC_DLQ: names.deadLetter,
    TOPIC_REPLAY: names.replay,
    TOPIC_PREDICTIONS_SHADOW: names.shadow,
    TOPIC_MODELS: names.models,
    TOPIC_ROLLOUT: names.rollout,
    TOPIC_DRIFT: names.drift,
    TOPIC_OUTCOMES: names.outcomes,
    TOPIC_PREDICTIONS_OUTCOMES: names.joined,
    TOPIC_JOIN_CHANGELOG: names.joinChangelog,
    CONSUMER_GROUP: names.group,
  };
}

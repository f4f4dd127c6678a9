import type { ConfigProblem } from './config-error.js';
import type { Config } from './config-schema.js';

/** Rules that span several keys; checked once every key has passed the schema. */
export function crossFieldProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { http } = config;
  if (http.auth.token !== null && http.auth.tokenFile !== null) {
    problems.push({
      key: 'http.auth',
      message:
        'the bearer token is set twice: give either the token (HTTP_AUTH_TOKEN / http.auth.token) ' +
        'or a file holding it (HTTP_AUTH_TOKEN_FILE / http.auth.tokenFile), not both',
    });
  }
  // Node refuses to create a server whose headers timeout exceeds its request timeout.
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    problems.push({
      key: 'http.headersTimeoutMs',
      message: `must be at most http.requestTimeoutMs (${http.requestTimeoutMs}), got ${http.headersTimeoutMs}`,
    });
  }
  // Kafka accepts such a topic, and then refuses every acks=all write to it (NOT_ENOUGH_REPLICAS).
  const { topics } = config;
  if (topics.minInsyncReplicas !== null && topics.minInsyncReplicas > topics.replicationFactor) {
    problems.push({
      key: 'topics.minInsyncReplicas',
      message: `must be at most topics.replicationFactor (${topics.replicationFactor}), got ${topics.minInsyncReplicas}`,
    });
  }
  return problems;
}

/**
 * The stable codes of churn-scorer's errors, and what each promises wherever it appears: in a log line's
 * `err.code`, in the CLI's exit, to kafkajs (which reads `retriable`). docs/errors.md explains each to the
 * operator; test/unit/errors checks that the two list the same codes with the same traits.
 */
export interface ErrorCodeTraits {
  /** The same operation, tried again with nothing changed, may succeed (kafkajs reads it from thrown errors). */
  readonly retriable: boolean;
  /**
   * A failure of the environment or of the input, the operator's to fix, not a bug of ours: it ends the
   * process with one line and no stack trace.
   */
  readonly expected: boolean;
  /** The process exit code when the error ends the process (src/cli/exit-codes.ts). */
  readonly exitCode: number;
}

/** Exit code 1: the one fatal exit code (src/cli/exit-codes.ts EXIT_FAILURE). */
const FATAL = 1;

const operatorFix = { retriable: false, expected: true, exitCode: FATAL } as const;
const mayPass = { retriable: true, expected: true, exitCode: FATAL } as const;
const bug = { retriable: false, expected: false, exitCode: FATAL } as const;

export const ERROR_CODES = {
  CHURN_ERR_CONFIG: operatorFix,
  CHURN_ERR_MODEL_ARTIFACT: operatorFix,
  CHURN_ERR_SCHEMA_FILE: operatorFix,
  CHURN_ERR_CLI_USAGE: operatorFix,
  CHURN_ERR_REPLAY_RANGE: operatorFix,
  CHURN_ERR_REPLAY_COMPARE: operatorFix,
  CHURN_ERR_LOCAL_STACK: operatorFix,
  CHURN_ERR_KAFKA_UNREACHABLE: mayPass,
  CHURN_ERR_KAFKA_AUTH: operatorFix,
  CHURN_ERR_TOPICS_MISSING: operatorFix,
  CHURN_ERR_TOPIC_MESSAGE_LIMIT: operatorFix,
  CHURN_ERR_TOPIC_LEADERS_TIMEOUT: mayPass,
  CHURN_ERR_TRANSACTIONS_UNAVAILABLE: operatorFix,
  CHURN_ERR_REGISTRY_UNREACHABLE: mayPass,
  CHURN_ERR_REGISTRY_AUTH: operatorFix,
  CHURN_ERR_REGISTRY_AUTH_TIMEOUT: operatorFix,
  // Retriable or not by the registry's answer (SchemaRegistryError): no answer, 408, 429 and 5xx are.
  CHURN_ERR_REGISTRY: operatorFix,
  CHURN_ERR_SCHEMA_NOT_REGISTERED: operatorFix,
  CHURN_ERR_DECODE: operatorFix,
  CHURN_ERR_AVRO_MALFORMED: operatorFix,
  CHURN_ERR_ENCODE: bug,
  CHURN_ERR_BATCH_RETRIABLE: mayPass,
  CHURN_ERR_PARTITION_FENCED: mayPass,
  CHURN_ERR_OUTPUT_TOO_LARGE: operatorFix,
  CHURN_ERR_ROLLOUT: operatorFix,
  CHURN_ERR_ROLLOUT_CHANGE: operatorFix,
  CHURN_ERR_ROLLOUT_CONFLICT: mayPass,
  CHURN_ERR_MODEL_REFUSED: operatorFix,
  CHURN_ERR_MODEL_VERSION_TAKEN: operatorFix,
  CHURN_ERR_MODEL_NOT_PUBLISHED: operatorFix,
  CHURN_ERR_TOPIC_READ_TIMEOUT: mayPass,
  CHURN_ERR_DEMO_TIMEOUT: mayPass,
  CHURN_ERR_OUTCOME_SIMULATION: operatorFix,
  CHURN_ERR_JOIN_PARTITIONS: operatorFix,
  CHURN_ERR_JOIN_CHANGELOG: operatorFix,
  CHURN_ERR_JOIN_CLIENT: operatorFix,
} as const satisfies Record<`CHURN_ERR_${string}`, ErrorCodeTraits>;

export type ErrorCode = keyof typeof ERROR_CODES;

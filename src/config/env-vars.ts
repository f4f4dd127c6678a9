/** How one environment variable maps onto the configuration. */
export interface EnvVarSpec {
  readonly name: string;
  /** Dotted config key it overrides. */
  readonly key: string;
  readonly kind: 'string' | 'optional-string' | 'integer' | 'boolean' | 'list' | 'log-level' | 'sasl-mechanism';
  /** Secret values are never echoed in errors or logs. */
  readonly secret?: true;
  readonly description: string;
}

/** The documented environment overrides (config/README.md mirrors this table). */
export const ENV_VARS: readonly EnvVarSpec[] = [
  { name: 'PORT', key: 'http.port', kind: 'integer', description: 'HTTP side-port (0 = any free port)' },
  { name: 'HOST', key: 'http.host', kind: 'string', description: 'HTTP listen address' },
  { name: 'LOG_LEVEL', key: 'log.level', kind: 'log-level', description: 'pino level: fatal|error|warn|info|debug|trace|silent' },
  { name: 'MODEL_DIR', key: 'model.dir', kind: 'string', description: 'model artifact directory (relative: to the repository root)' },
  { name: 'STRICT_CATEGORIES', key: 'model.strictCategories', kind: 'boolean', description: 'reject unknown category values instead of warning' },
  { name: 'KAFKA_BROKERS', key: 'kafka.brokers', kind: 'list', description: 'comma-separated host:port list' },
  { name: 'KAFKA_CLIENT_ID', key: 'kafka.clientId', kind: 'string', description: 'Kafka client id' },
  { name: 'KAFKA_SSL', key: 'kafka.ssl.enabled', kind: 'boolean', description: 'enable TLS to the brokers' },
  { name: 'KAFKA_SSL_CA_FILE', key: 'kafka.ssl.caFile', kind: 'optional-string', description: 'PEM CA bundle path' },
  { name: 'KAFKA_SSL_CERT_FILE', key: 'kafka.ssl.certFile', kind: 'optional-string', description: 'PEM client certificate path' },
  { name: 'KAFKA_SSL_KEY_FILE', key: 'kafka.ssl.keyFile', kind: 'optional-string', description: 'PEM client key path' },
  { name: 'KAFKA_SASL_MECHANISM', key: 'kafka.sasl.mechanism', kind: 'sasl-mechanism', description: 'plain|scram-sha-256|scram-sha-512 (empty or none: no SASL)' },
  { name: 'KAFKA_SASL_USERNAME', key: 'kafka.sasl.username', kind: 'string', description: 'SASL user name' },
  { name: 'KAFKA_SASL_PASSWORD', key: 'kafka.sasl.password', kind: 'string', secret: true, description: 'SASL password (secret)' },
  { name: 'SCHEMA_REGISTRY_URL', key: 'registry.url', kind: 'string', description: 'schema registry base URL (Confluent API)' },
  { name: 'SCHEMA_REGISTRY_USERNAME', key: 'registry.username', kind: 'optional-string', description: 'registry basic-auth user' },
  { name: 'SCHEMA_REGISTRY_PASSWORD', key: 'registry.password', kind: 'optional-string', secret: true, description: 'registry basic-auth password (secret)' },
  { name: 'TOPIC_CUSTOMERS', key: 'topics.customers', kind: 'string', description: 'input topic' },
  { name: 'TOPIC_PREDICTIONS', key: 'topics.predictions', kind: 'string', description: 'output topic' },
  { name: 'TOPIC_DLQ', key: 'topics.deadLetter', kind: 'string', description: 'dead-letter topic' },
  { name: 'TOPIC_REPLAY', key: 'topics.replay', kind: 'string', description: 'replay topic' },
  { name: 'CONSUMER_GROUP', key: 'stream.groupId', kind: 'string', description: 'Kafka consumer group id' },
  { name: 'TOPICS_CREATE', key: 'topics.create', kind: 'boolean', description: 'create missing topics and register schemas at start (false: refuse to start if missing)' },
  { name: 'TOPIC_PARTITIONS', key: 'topics.partitions', kind: 'integer', description: 'partitions of topics the worker creates' },
  { name: 'TRANSACTION_MAX_RECORDS', key: 'stream.transactionMaxRecords', kind: 'integer', description: 'records per Kafka transaction at most' },
  { name: 'TRANSACTION_MAX_MS', key: 'stream.transactionMaxMs', kind: 'integer', description: 'a transaction is committed once it has been open this long' },
  { name: 'STUCK_AFTER_MS', key: 'stream.stuckAfterMs', kind: 'integer', description: '/livez fails when an owned partition has lag and no commit for this long' },
  { name: 'SHUTDOWN_DEADLINE_MS', key: 'stream.shutdownDeadlineMs', kind: 'integer', description: 'SIGTERM/SIGINT: exit within this long' },
  { name: 'MAX_RECORD_BYTES', key: 'stream.maxRecordBytes', kind: 'integer', description: 'larger input records are dead-lettered as oversize' },
  { name: 'SESSION_TIMEOUT_MS', key: 'stream.sessionTimeoutMs', kind: 'integer', description: 'consumer group session timeout (how fast a dead worker is replaced)' },
];

/** Environment variable naming an extra JSON config file merged over config/default.json. */
export const CONFIG_FILE_ENV = 'CHURN_CONFIG';

/** Config keys whose values are secrets. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['kafka.sasl.password', 'registry.password']);

export function envVarForKey(key: string): EnvVarSpec | undefined {
  return ENV_VARS.find((spec) => spec.key === key);
}

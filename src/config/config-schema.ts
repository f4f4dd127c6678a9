import { CloneType, Type, type Static, type TSchema } from '@sinclair/typebox';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
/** auto: human-readable on a terminal, JSON lines otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

const NonEmpty = Type.String({ minLength: 1 });
const OptionalPath = Type.Union([NonEmpty, Type.Null()]);
const PositiveInt = Type.Integer({ minimum: 1 });
const TopicName = Type.String({ pattern: '^[a-zA-Z0-9._-]{1,249}$' });
const strict = { additionalProperties: false } as const;
/**
 * One of `values`. With a title, an environment value that is none of them is refused as it is read, naming the
 * title ("is not a log level"); without, by the schema check, like a value from a file ("must be one of").
 */
function oneOf<V extends string>(values: readonly V[], title?: string) {
  const literals = values.map((v) => Type.Literal(v));
  return Type.Union(literals, title === undefined ? {} : { title });
}
/** An HTTP bearer token: RFC 6750 characters (b64token), at least 16 of them so a guessable word is refused. */
export const BearerTokenSchema = Type.String({ minLength: 16, maxLength: 4096, pattern: '^[A-Za-z0-9._~+/-]+=*$' });

/** Keywords this schema adds to a property that an environment variable overrides; env-vars.ts reads them back. */
export type EnvKeywords = {
  /** The variable's name. */
  readonly env: string;
  readonly description: string;
  /** The value is never echoed in errors or logs. */
  readonly secret?: true;
  /** "" or "none" makes the enclosing optional object null: KAFKA_SASL_MECHANISM=none means no SASL. */
  readonly noneTurnsOff?: true;
};

/** `schema`, overridable by the environment variable `name` (the table in config/README.md, checked by a test). */
function env<T extends TSchema>(
  name: string,
  schema: T,
  description: string,
  more: Omit<EnvKeywords, 'env' | 'description'> = {},
): T {
  const keywords: EnvKeywords = { env: name, description, ...more };
  return CloneType(schema, keywords);
}

/** The whole service configuration. Unknown keys are rejected so a typo in a config file is not ignored. */
export const ConfigSchema = Type.Object(
  {
    service: Type.Object(
      {
        name: NonEmpty,
        // How long start-up waits for Kafka and the schema registry to answer before giving up with one line.
        startupTimeoutMs: env(
          'STARTUP_TIMEOUT_MS',
          PositiveInt,
          'start-up gives up when Kafka or the schema registry does not answer within this long',
        ),
      },
      strict,
    ),
    log: Type.Object(
      {
        level: env('LOG_LEVEL', oneOf(LOG_LEVELS, 'log level'), 'pino level: fatal|error|warn|info|debug|trace|silent'),
        format: env('LOG_FORMAT', oneOf(LOG_FORMATS), 'auto (pretty on a terminal, JSON otherwise) | json | pretty'),
      },
      strict,
    ),
    http: Type.Object(
      {
        host: env('HOST', NonEmpty, 'HTTP listen address (0.0.0.0: every interface)'),
        // 0 asks the OS for a free port (tests).
        port: env('PORT', Type.Integer({ minimum: 0, maximum: 65535 }), 'HTTP side-port (0 = any free port)'),
        bodyLimitBytes: PositiveInt,
        batchMax: PositiveInt,
        // No 0 (= no limit): a client that sends slowly or stops must not hold a socket and its buffer for good.
        requestTimeoutMs: env(
          'HTTP_REQUEST_TIMEOUT_MS',
          PositiveInt,
          'a request (headers and body) not fully received within this long is answered 408 and closed',
        ),
        headersTimeoutMs: env(
          'HTTP_HEADERS_TIMEOUT_MS',
          PositiveInt,
          'request headers not fully received within this long: 408 and closed (<= HTTP_REQUEST_TIMEOUT_MS)',
        ),
        keepAliveTimeoutMs: env(
          'HTTP_KEEP_ALIVE_TIMEOUT_MS',
          PositiveInt,
          'an idle keep-alive connection is closed after this long',
        ),
        maxConnections: env(
          'HTTP_MAX_CONNECTIONS',
          PositiveInt,
          'open side-port connections at most; more are closed at once',
        ),
        // `serve` only: `run` stays one process (its stream worker owns partitions and transactions).
        workers: env(
          'HTTP_WORKERS',
          Type.Integer({ minimum: 0, maximum: 1024 }),
          '`serve`: processes sharing the side-port (node:cluster); 0 = one per core, 1 = no cluster',
        ),
        pressure: Type.Object(
          {
            // 0 switches a limit off.
            maxEventLoopDelayMs: env(
              'HTTP_MAX_EVENT_LOOP_DELAY_MS',
              Type.Integer({ minimum: 0 }),
              'shed requests (503) while the mean event-loop delay is over this (0: off)',
            ),
            maxHeapUsedPercent: env(
              'HTTP_MAX_HEAP_USED_PERCENT',
              Type.Integer({ minimum: 0, maximum: 100 }),
              "shed requests (503) while the heap used is over this % of V8's heap limit (0: off)",
            ),
            maxRssBytes: env(
              'HTTP_MAX_RSS_BYTES',
              Type.Integer({ minimum: 0 }),
              'shed requests (503) while the process RSS is over this (0: off)',
            ),
            retryAfterSeconds: PositiveInt,
            sampleIntervalMs: Type.Integer({ minimum: 10 }),
          },
          strict,
        ),
        auth: Type.Object(
          {
            // After loadConfig: the token in force, also when it was read from tokenFile.
            token: env(
              'HTTP_AUTH_TOKEN',
              Type.Union([BearerTokenSchema, Type.Null()]),
              'bearer token required on every route but the probes (secret; empty: no auth)',
              { secret: true },
            ),
            tokenFile: env(
              'HTTP_AUTH_TOKEN_FILE',
              OptionalPath,
              'file holding the bearer token (e.g. a mounted Secret); not together with HTTP_AUTH_TOKEN',
            ),
            protectMetrics: env(
              'HTTP_AUTH_METRICS',
              Type.Boolean(),
              '/metrics needs the token too when auth is on (false: /metrics stays open)',
            ),
          },
          strict,
        ),
        dashboard: Type.Object(
          {
            enabled: env('DASHBOARD', Type.Boolean(), 'GET /dashboard on the side-port (false: no dashboard routes)'),
            // Bounded: past it the customers held the longest are dropped, so memory stays flat however many stream by.
            customers: env(
              'DASHBOARD_CUSTOMERS',
              Type.Integer({ minimum: 0, maximum: 1_000_000 }),
              "`run`: customers whose latest prediction the dashboard's riskiest-25% panel holds (0: no panel)",
            ),
          },
          strict,
        ),
      },
      strict,
    ),
    model: Type.Object(
      {
        // Absolute after loadConfig resolves it (relative: against the cwd from the environment or a flag, against the
        // repository root from a config file).
        dir: env('MODEL_DIR', NonEmpty, 'model artifact directory (relative: to the current directory)'),
        strictCategories: env('STRICT_CATEGORIES', Type.Boolean(), 'reject unknown category values instead of warning'),
        followRollout: env(
          'MODEL_FOLLOW_ROLLOUT',
          Type.Boolean(),
          '`serve`: follow the rollout topics like `run` does (`run` always follows them)',
        ),
        reasons: env(
          'PREDICTION_REASONS',
          Type.Boolean(),
          'every prediction on the predictions topic carries its top three reasons (false: an empty list)',
        ),
      },
      strict,
    ),
    kafka: Type.Object(
      {
        brokers: env(
          'KAFKA_BROKERS',
          Type.Array(Type.String({ pattern: '^\\S+:\\d{1,5}$' }), { minItems: 1 }),
          'comma-separated host:port list',
        ),
        clientId: env('KAFKA_CLIENT_ID', NonEmpty, 'Kafka client id'),
        ssl: Type.Object(
          {
            enabled: env('KAFKA_SSL', Type.Boolean(), 'enable TLS to the brokers'),
            caFile: env('KAFKA_SSL_CA_FILE', OptionalPath, 'PEM CA bundle path'),
            certFile: env('KAFKA_SSL_CERT_FILE', OptionalPath, 'PEM client certificate path'),
            keyFile: env('KAFKA_SSL_KEY_FILE', OptionalPath, 'PEM client key path'),
            rejectUnauthorized: Type.Boolean(),
          },
          strict,
        ),
        sasl: Type.Union([
          Type.Null(),
          Type.Object(
            {
              mechanism: env(
                'KAFKA_SASL_MECHANISM',
                oneOf(SASL_MECHANISMS, 'SASL mechanism'),
                'plain|scram-sha-256|scram-sha-512 (empty or none: no SASL)',
                { noneTurnsOff: true },
              ),
              username: env('KAFKA_SASL_USERNAME', NonEmpty, 'SASL user name'),
              password: env('KAFKA_SASL_PASSWORD', NonEmpty, 'SASL password (secret)', { secret: true }),
            },
            strict,
          ),
        ]),
        connectionTimeoutMs: PositiveInt,
        requestTimeoutMs: PositiveInt,
      },
      strict,
    ),
    registry: Type.Object(
      {
        url: env(
          'SCHEMA_REGISTRY_URL',
          Type.String({ pattern: '^https?://\\S+$' }),
          'schema registry base URL (Confluent API)',
        ),
        username: env('SCHEMA_REGISTRY_USERNAME', Type.Union([NonEmpty, Type.Null()]), 'registry basic-auth user'),
        password: env(
          'SCHEMA_REGISTRY_PASSWORD',
          Type.Union([NonEmpty, Type.Null()]),
          'registry basic-auth password (secret)',
          { secret: true },
        ),
        // A 401/403 that lasts this long ends the worker (readiness fails at once).
        authFailureExitMs: env(
          'SCHEMA_REGISTRY_AUTH_FAILURE_EXIT_MS',
          PositiveInt,
          'the worker exits 1 when the registry has refused its credentials (401/403) for this long',
        ),
      },
      strict,
    ),
    topics: Type.Object(
      {
        customers: env('TOPIC_CUSTOMERS', TopicName, 'input topic'),
        predictions: env('TOPIC_PREDICTIONS', TopicName, 'output topic'),
        deadLetter: env('TOPIC_DLQ', TopicName, 'dead-letter topic'),
        replay: env('TOPIC_REPLAY', TopicName, 'replay topic'),
        shadow: env('TOPIC_PREDICTIONS_SHADOW', TopicName, 'shadow predictions (shadow versions, replay --compare)'),
        models: env('TOPIC_MODELS', TopicName, 'compacted topic of published model versions (model publish)'),
        rollout: env('TOPIC_ROLLOUT', TopicName, 'compacted topic of the rollout in force (rollout set)'),
        drift: env(
          'TOPIC_DRIFT',
          TopicName,
          'drift monitoring: one record per closed window (input partition and model version)',
        ),
        outcomes: env(
          'TOPIC_OUTCOMES',
          TopicName,
          'real outcomes (CustomerOutcome, keyed by customerid, co-partitioned with the customers topic)',
        ),
        joined: env(
          'TOPIC_PREDICTIONS_OUTCOMES',
          TopicName,
          'outcomes joined to predictions: one PredictionOutcome per join, unmatched outcome or expired prediction',
        ),
        joinChangelog: env(
          'TOPIC_JOIN_CHANGELOG',
          TopicName,
          "compacted changelog of the outcome join's state (predictions waiting for an outcome), per partition",
        ),
        create: env(
          'TOPICS_CREATE',
          Type.Boolean(),
          'create missing topics and register schemas at start (false: refuse to start if missing)',
        ),
        partitions: env('TOPIC_PARTITIONS', PositiveInt, 'partitions of topics the worker creates'),
        replicationFactor: env(
          'TOPIC_REPLICATION_FACTOR',
          PositiveInt,
          'replication factor of topics the worker creates (<= number of brokers)',
        ),
        // min.insync.replicas of the topics the worker creates (null: the broker's default); <= replicationFactor.
        minInsyncReplicas: env(
          'TOPIC_MIN_INSYNC_REPLICAS',
          Type.Union([PositiveInt, Type.Null()]),
          "min.insync.replicas of topics the worker creates (unset: the broker's default)",
        ),
        // The same variable docker/init-stack.mjs reads for the topics it creates.
        retentionMs: env(
          'TOPIC_RETENTION_MS',
          Type.Integer({ minimum: -1 }),
          'retention.ms of the topics the worker creates (-1: kept for ever)',
        ),
        // max.message.bytes of the topics the worker creates; at least stream.transactionMaxBytes.
        maxMessageBytes: Type.Integer({ minimum: 16384 }),
      },
      strict,
    ),
    stream: Type.Object(
      {
        groupId: env('CONSUMER_GROUP', NonEmpty, 'Kafka consumer group id'),
        transactionMaxRecords: env('TRANSACTION_MAX_RECORDS', PositiveInt, 'records per Kafka transaction at most'),
        transactionMaxMs: env(
          'TRANSACTION_MAX_MS',
          PositiveInt,
          'a transaction is committed once it has been open this long',
        ),
        // Output bytes of one transaction (so of any record batch it sends) at most; room for a dead letter's headers.
        transactionMaxBytes: env(
          'TRANSACTION_MAX_BYTES',
          Type.Integer({ minimum: 16384 }),
          "output bytes per Kafka transaction at most (<= the output topics' max.message.bytes)",
        ),
        stuckAfterMs: env(
          'STUCK_AFTER_MS',
          PositiveInt,
          '/livez fails when an owned partition has lag and no commit for this long',
        ),
        shutdownDeadlineMs: env('SHUTDOWN_DEADLINE_MS', PositiveInt, 'SIGTERM/SIGINT: exit within this long'),
        maxRecordBytes: env('MAX_RECORD_BYTES', PositiveInt, 'larger input records are dead-lettered as oversize'),
        replayMaxRecordsPerBatch: PositiveInt,
        warmUpRecords: env(
          'WARM_UP_RECORDS',
          Type.Integer({ minimum: 0 }),
          'synthetic records run through the decision path before the consumers join (0: none)',
        ),
        sessionTimeoutMs: env(
          'SESSION_TIMEOUT_MS',
          Type.Integer({ minimum: 6000 }),
          'consumer group session timeout (how fast a dead worker is replaced)',
        ),
      },
      strict,
    ),
    // Online drift of the inputs and scores against each model version's training data (src/monitoring).
    monitoring: Type.Object(
      {
        enabled: env(
          'DRIFT_MONITORING',
          Type.Boolean(),
          'drift windows, their topic, GET /monitoring figures and gauges (false: none of it)',
        ),
        windowRecords: env(
          'DRIFT_WINDOW_RECORDS',
          PositiveInt,
          'a drift window closes once it holds this many records',
        ),
        windowMs: env('DRIFT_WINDOW_MS', PositiveInt, '... or once it has been open this long'),
        // The keys of DriftThresholds (src/monitoring/drift-summary.ts); every comparison is "greater than".
        thresholds: Type.Object(
          {
            psi: env('DRIFT_PSI_THRESHOLD', Type.Number({ minimum: 0 }), "a feature's PSI over this is drift"),
            scorePsi: env(
              'DRIFT_SCORE_PSI_THRESHOLD',
              Type.Number({ minimum: 0 }),
              "the score's PSI over this is drift",
            ),
            unseenRate: env(
              'DRIFT_UNSEEN_RATE_THRESHOLD',
              Type.Number({ minimum: 0, maximum: 1 }),
              "alert when this share of a window's records has a category the model has not seen",
            ),
            missingRate: env(
              'DRIFT_MISSING_RATE_THRESHOLD',
              Type.Number({ minimum: 0, maximum: 1 }),
              "alert when this share of a window's records lacks a usable value",
            ),
            outOfRangeRate: env(
              'DRIFT_OUT_OF_RANGE_RATE_THRESHOLD',
              Type.Number({ minimum: 0, maximum: 1 }),
              "alert when this share of a window's records has a number outside the training range",
            ),
            minRecords: env(
              'DRIFT_MIN_RECORDS',
              Type.Integer({ minimum: 0 }),
              'a figure raises an alert only over at least this many values',
            ),
          },
          strict,
        ),
      },
      strict,
    ),
    // Real outcomes joined back to the predictions, realized performance, the bandit (src/outcomes, src/bandit).
    outcomes: Type.Object(
      {
        join: env(
          'OUTCOME_JOIN',
          Type.Boolean(),
          '`run` joins outcomes to predictions (false: no join, no realized performance, no bandit steps)',
        ),
        attributionWindowMs: env(
          'OUTCOME_ATTRIBUTION_WINDOW_MS',
          PositiveInt,
          'an outcome joins the predictions made for its customer at most this long before it (event time)',
        ),
        maxPendingPerPartition: env(
          'OUTCOME_MAX_PENDING_PER_PARTITION',
          PositiveInt,
          'a join task keeps at most this many predictions waiting for an outcome; past it the oldest expires early',
        ),
        performanceWindowRecords: env(
          'REALIZED_WINDOW_RECORDS',
          PositiveInt,
          'realized performance (AUC, log-loss, ...) per version and variant over its last this many joins',
        ),
        banditIntervalMs: env(
          'BANDIT_INTERVAL_MS',
          PositiveInt,
          'with a bandit rollout in force, the weights are updated from the joined outcomes this often',
        ),
      },
      strict,
    ),
  },
  strict,
);

export type Config = Static<typeof ConfigSchema>;
export type LogLevel = Config['log']['level'];
export type LogFormat = Config['log']['format'];
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

type DeepPartial<T> = T extends readonly (infer _)[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | null }
    : T;

/** Overrides from a config file or the command line: any subset of Config. */
export type ConfigOverrides = DeepPartial<Config>;

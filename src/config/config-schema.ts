import { Type, type Static } from '@sinclair/typebox';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const NonEmpty = Type.String({ minLength: 1 });
const OptionalPath = Type.Union([NonEmpty, Type.Null()]);
const PositiveInt = Type.Integer({ minimum: 1 });
const TopicName = Type.String({ pattern: '^[a-zA-Z0-9._-]{1,249}$' });
const strict = { additionalProperties: false } as const;

/** The whole service configuration. Unknown keys are rejected so a typo in a config file is not ignored. */
export const ConfigSchema = Type.Object(
  {
    service: Type.Object({ name: NonEmpty }, strict),
    log: Type.Object({ level: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))) }, strict),
    http: Type.Object(
      {
        host: NonEmpty,
        // 0 asks the OS for a free port (tests).
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        bodyLimitBytes: PositiveInt,
        batchMax: PositiveInt,
      },
      strict,
    ),
    model: Type.Object(
      {
        // Absolute after loadConfig resolves it (relative: against the repository root).
        dir: NonEmpty,
        strictCategories: Type.Boolean(),
      },
      strict,
    ),
    kafka: Type.Object(
      {
        brokers: Type.Array(Type.String({ pattern: '^\\S+:\\d{1,5}$' }), { minItems: 1 }),
        clientId: NonEmpty,
        ssl: Type.Object(
          {
            enabled: Type.Boolean(),
            caFile: OptionalPath,
            certFile: OptionalPath,
            keyFile: OptionalPath,
            rejectUnauthorized: Type.Boolean(),
          },
          strict,
        ),
        sasl: Type.Union([
          Type.Null(),
          Type.Object(
            {
              mechanism: Type.Union(SASL_MECHANISMS.map((m) => Type.Literal(m))),
              username: NonEmpty,
              password: NonEmpty,
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
        url: Type.String({ pattern: '^https?://\\S+$' }),
        username: Type.Union([NonEmpty, Type.Null()]),
        password: Type.Union([NonEmpty, Type.Null()]),
      },
      strict,
    ),
    topics: Type.Object(
      {
        customers: TopicName,
        predictions: TopicName,
        deadLetter: TopicName,
        replay: TopicName,
        create: Type.Boolean(),
        partitions: PositiveInt,
        replicationFactor: PositiveInt,
        retentionMs: Type.Integer({ minimum: -1 }),
      },
      strict,
    ),
    stream: Type.Object(
      {
        groupId: NonEmpty,
        transactionMaxRecords: PositiveInt,
        transactionMaxMs: PositiveInt,
        stuckAfterMs: PositiveInt,
        shutdownDeadlineMs: PositiveInt,
        maxRecordBytes: PositiveInt,
        replayMaxRecordsPerBatch: PositiveInt,
        sessionTimeoutMs: Type.Integer({ minimum: 6000 }),
      },
      strict,
    ),
  },
  strict,
);

export type Config = Static<typeof ConfigSchema>;
export type LogLevel = Config['log']['level'];
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

type DeepPartial<T> = T extends readonly (infer _)[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> | null } : T;

/** Overrides from a config file or the command line: any subset of Config. */
export type ConfigOverrides = DeepPartial<Config>;

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import kafkajs, { Kafka, type KafkaConfig, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';
import { pinoLogCreator } from './log-bridge.js';

// kafkajs is CommonJS and Node cannot see this export by name.
const { Partitioners } = kafkajs;

/** The connection part of the config (config.kafka); structural so tests can pass plain objects. */
export interface KafkaConnectionSettings {
  brokers: readonly string[];
  clientId: string;
  ssl: {
    enabled: boolean;
    caFile?: string | null | undefined;
    certFile?: string | null | undefined;
    keyFile?: string | null | undefined;
    rejectUnauthorized: boolean;
  };
  sasl: null | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** Retries of the clients' connections and metadata requests (producers and consumers add their own). */
const CLIENT_RETRY: RetryOptions = { initialRetryTime: 100, retries: 8 };

/**
 * Builds the kafkajs client. TLS files are read here, once, so a wrong path fails at start-up. `retry`
 * replaces the client-level retries (the start-up probe bounds them by its budget).
 */
export function createKafka(
  settings: KafkaConnectionSettings,
  logger: Logger,
  retry: RetryOptions = CLIENT_RETRY,
): Kafka {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logCreator: pinoLogCreator(logger),
    retry,
  };
  const tls = tlsOptions(settings.ssl);
  if (tls !== undefined) config.ssl = tls;
  if (settings.sasl !== null) config.sasl = saslOptions(settings.sasl);
  return new Kafka(config);
}

/** What the start-up log may say about the connection: never credentials. */
export function describeConnection(settings: KafkaConnectionSettings): Record<string, unknown> {
  return {
    brokers: settings.brokers,
    clientId: settings.clientId,
    tls: settings.ssl.enabled,
    sasl: settings.sasl === null ? 'none' : settings.sasl.mechanism,
  };
}

function tlsOptions(ssl: KafkaConnectionSettings['ssl']): ConnectionOptions | true | undefined {
  if (!ssl.enabled) return undefined;
  const options: ConnectionOptions = { rejectUnauthorized: ssl.rejectUnauthorized };
  if (ssl.caFile) options.ca = [readTlsFile(ssl.caFile, 'kafka.ssl.caFile')];
  if (ssl.certFile) options.cert = readTlsFile(ssl.certFile, 'kafka.ssl.certFile');
  if (ssl.keyFile) options.key = readTlsFile(ssl.keyFile, 'kafka.ssl.keyFile');
  return options;
}

function readTlsFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ key, message: `cannot read ${path}: ${(err as Error).message}` }], { cause: err });
  }
}

function saslOptions(sasl: NonNullable<KafkaConnectionSettings['sasl']>): SASLOptions {
  const { mechanism, username, password } = sasl;
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

/**
 * Producer settings for every producer we create. Idempotence needs unbounded retries
 * (kafkajs warns otherwise): a bounded retry could give up on a send the broker did
 * write, and the retried send after it would be a duplicate the broker can no longer
 * recognise. Backoff is capped so a broker restart is noticed within seconds.
 */
export const IDEMPOTENT_PRODUCER = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  // CONCURRENT_TRANSACTIONS right after a commit (markers still being written) clears within
  // milliseconds: a short first backoff keeps it from adding 100 ms to the next transaction.
  retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 5_000 },
  // kafkajs 2's default (Java-compatible murmur2), named so kafkajs does not warn that its default changed.
  createPartitioner: Partitioners.DefaultPartitioner,
} as const;

import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { createKafka, type KafkaConnectionSettings } from '../../../src/kafka/client.js';

const settings: KafkaConnectionSettings = {
  brokers: ['127.0.0.1:9093'],
  clientId: 'test',
  ssl: { enabled: true, caFile: '/nonexistent/ca.pem', rejectUnauthorized: true },
  sasl: null,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 1_000,
};

describe('Kafka TLS files', () => {
  it('are a configuration error naming the key and the path when they cannot be read', () => {
    let thrown: unknown;
    try {
      createKafka(settings, pino({ level: 'silent' }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const { code, problems } = thrown as ConfigError;
    expect(code).toBe('CHURN_ERR_CONFIG');
    expect(problems).toEqual([
      {
        key: 'kafka.ssl.caFile',
        message: expect.stringMatching(/^cannot read \/nonexistent\/ca\.pem: ENOENT/) as unknown,
      },
    ]);
  });
});

import type { Config } from './config-schema.js';

export const REDACTED = '[redacted]';

/** Hides the password of a URL's user-info ("http://u:secret@h" -> "http://u:[redacted]@h"). */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i, `$1:${REDACTED}@`);
}

/** A copy of the config that is safe to log or dump: passwords replaced, URL credentials hidden. */
export function redactConfig(config: Config): Config {
  return {
    ...config,
    kafka: {
      ...config.kafka,
      ssl: { ...config.kafka.ssl },
      brokers: [...config.kafka.brokers],
      sasl: config.kafka.sasl === null ? null : { ...config.kafka.sasl, password: REDACTED },
    },
    registry: {
      ...config.registry,
      url: redactUrl(config.registry.url),
      password: config.registry.password === null ? null : REDACTED,
    },
  };
}

import type { Config } from './config-schema.js';

export const REDACTED = '[redacted]';

/**
 * scheme://user-info@ anywhere in a text. The user-info runs to the authority's last "@" (as
 * WHATWG URL parsing has it), so a password with a raw "@" is hidden whole.
 */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>\\]*)@/gi;

/**
 * Hides the password of every URL in a text ("http://u:secret@h" -> "http://u:[redacted]@h"), for
 * URLs alone and inside log lines, error messages and probe reasons alike. The user name stays: it
 * says which account was used.
 */
export function redactUrl(text: string): string {
  return text.replace(URL_USER_INFO, (whole, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':');
    return colon < 0 ? whole : `${scheme}${userInfo.slice(0, colon)}:${REDACTED}@`;
  });
}

/** A copy of the config that is safe to log or dump: passwords and the HTTP token replaced, URL credentials hidden. */
export function redactConfig(config: Config): Config {
  return {
    ...config,
    http: { ...config.http, auth: { ...config.http.auth, token: config.http.auth.token === null ? null : REDACTED } },
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

import { ConfigError, type ConfigProblem } from './config-error.js';
import type { Config } from './config-schema.js';
import { splitUrlCredentials } from './url-credentials.js';

const EXPLICIT = 'registry.username/password (SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD)';

/**
 * Registry credentials may come in the URL (http://user:pw@host/..., as many clients take them)
 * or as registry.username/password, not both. fetch refuses a URL with credentials, so they move
 * into username/password here and no later code (logs, errors, probes) sees them in the URL.
 * Throws ConfigError; the messages never contain the password.
 */
export function withRegistryCredentialsFromUrl(config: Config): Config {
  const { registry } = config;
  const problem = (message: string): ConfigError => new ConfigError([{ key: 'registry.url', message }]);
  let parts: ReturnType<typeof splitUrlCredentials>;
  try {
    parts = splitUrlCredentials(registry.url);
  } catch {
    throw problem('has credentials with a malformed percent escape (%XX) in them');
  }
  try {
    new URL(parts.url);
  } catch {
    throw problem(`is not a valid URL, got ${JSON.stringify(parts.url)}`);
  }
  if (parts.username === undefined) {
    const problems = explicitCredentialProblems(config);
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
  }
  if (registry.username !== null || registry.password !== null) {
    throw problem(`has credentials in it and ${EXPLICIT} are set too: give them one way only`);
  }
  if (parts.username === '') throw problem('has a password but no user name in it (http://user:password@host/...)');
  return {
    ...config,
    registry: { ...registry, url: parts.url, username: parts.username, password: parts.password || null },
  };
}

function explicitCredentialProblems(config: Config): ConfigProblem[] {
  const { username, password } = config.registry;
  if (password !== null && username === null) {
    return [
      { key: 'registry.username', message: 'is required when registry.password is set (SCHEMA_REGISTRY_USERNAME)' },
    ];
  }
  return [];
}

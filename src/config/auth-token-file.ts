import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './config-error.js';
import { BearerTokenSchema, type Config } from './config-schema.js';

const KEY = 'http.auth.tokenFile';

/**
 * When http.auth.tokenFile is set (a Kubernetes Secret mounted as a file, say), reads it and puts the token,
 * trimmed of surrounding white space (the trailing newline most files end with), into http.auth.token.
 * Errors name the file, never its content.
 */
export function withAuthTokenFromFile(config: Config, readTextFile: (path: string) => string): Config {
  const file = config.http.auth.tokenFile;
  if (file === null) return config;
  let text: string;
  try {
    text = readTextFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([
      { key: KEY, message: `cannot read the bearer token file ${file} (${code ?? 'unreadable'})` },
    ]);
  }
  const token = text.trim();
  if (token === '') throw new ConfigError([{ key: KEY, message: `the bearer token file ${file} is empty` }]);
  const problem = Value.Errors(BearerTokenSchema, token).First();
  if (problem !== undefined) {
    throw new ConfigError([{ key: KEY, message: `the bearer token in ${file} is not usable: ${problem.message}` }]);
  }
  return { ...config, http: { ...config.http, auth: { ...config.http.auth, token } } };
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  REDACTED,
  findRepoRoot,
  loadConfig,
  redactConfig,
  type Config,
  type LoadConfigOptions,
} from '../../../src/config/index.js';

// The side-port's limits and bearer-token settings: env overrides, the token file, and errors that never
// show the token.

const repoRoot = findRepoRoot();
const TOKEN = 'k8s-secret-0123456789abcdef';

function load(env: Record<string, string>, extra: Partial<LoadConfigOptions> = {}): Config {
  return loadConfig({ env, repoRoot, cwd: '/somewhere/else', ...extra });
}

function configError(env: Record<string, string>, extra: Partial<LoadConfigOptions> = {}): ConfigError {
  try {
    load(env, extra);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** The real defaults file plus in-memory files; a path mapped to an Error throws it. */
function readerWith(files: Record<string, string | NodeJS.ErrnoException>) {
  return (path: string) => {
    const file = files[path];
    if (file instanceof Error) throw file;
    return file ?? readFileSync(path, 'utf8');
  };
}

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('HTTP limits from the environment', () => {
  it('applies the timeout, connection-cap and pressure variables', () => {
    const config = load({
      HTTP_REQUEST_TIMEOUT_MS: '20000',
      HTTP_HEADERS_TIMEOUT_MS: '5000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '61000',
      HTTP_MAX_CONNECTIONS: '64',
      HTTP_MAX_EVENT_LOOP_DELAY_MS: '0',
      HTTP_MAX_HEAP_USED_PERCENT: '80',
      HTTP_MAX_RSS_BYTES: '536870912',
    });
    expect(config.http).toMatchObject({
      requestTimeoutMs: 20000,
      headersTimeoutMs: 5000,
      keepAliveTimeoutMs: 61000,
      maxConnections: 64,
    });
    expect(config.http.pressure).toMatchObject({
      maxEventLoopDelayMs: 0,
      maxHeapUsedPercent: 80,
      maxRssBytes: 536870912,
    });
  });

  it.each([
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'http.requestTimeoutMs', /greater or equal to 1.*HTTP_REQUEST_TIMEOUT_MS="0"/],
    [{ HTTP_MAX_CONNECTIONS: 'lots' }, 'http.maxConnections', /env HTTP_MAX_CONNECTIONS="lots" is not an integer/],
    [{ HTTP_MAX_HEAP_USED_PERCENT: '150' }, 'http.pressure.maxHeapUsedPercent', /less or equal to 100/],
    [
      { HTTP_HEADERS_TIMEOUT_MS: '20000' },
      'http.headersTimeoutMs',
      /must be at most http\.requestTimeoutMs \(15000\), got 20000/,
    ],
  ])('%j -> %s', (env, key, message) => {
    const error = configError(env);
    const problem = error.problems.find((p) => p.key === key);
    expect(problem, error.message).toBeDefined();
    expect(problem?.message).toMatch(message);
  });
});

describe('HTTP bearer token', () => {
  it('takes HTTP_AUTH_TOKEN and HTTP_AUTH_METRICS', () => {
    expect(load({ HTTP_AUTH_TOKEN: TOKEN }).http.auth).toEqual({ token: TOKEN, tokenFile: null, protectMetrics: true });
    expect(load({ HTTP_AUTH_TOKEN: TOKEN, HTTP_AUTH_METRICS: 'false' }).http.auth.protectMetrics).toBe(false);
    expect(load({ HTTP_AUTH_TOKEN: '' }).http.auth.token).toBeNull();
  });

  it('reads HTTP_AUTH_TOKEN_FILE, trimming the trailing newline', () => {
    const config = load(
      { HTTP_AUTH_TOKEN_FILE: '/var/run/secrets/scorer/token' },
      { readTextFile: readerWith({ '/var/run/secrets/scorer/token': `${TOKEN}\n` }) },
    );
    expect(config.http.auth.token).toBe(TOKEN);
    expect(config.http.auth.tokenFile).toBe('/var/run/secrets/scorer/token');
  });

  it('resolves a relative token file against the cwd, like the other paths typed in the environment', () => {
    const file = '/somewhere/else/secrets/token';
    expect(
      load({ HTTP_AUTH_TOKEN_FILE: 'secrets/token' }, { readTextFile: readerWith({ [file]: TOKEN }) }).http.auth.token,
    ).toBe(TOKEN);
  });

  it('refuses a token given both ways, naming both knobs', () => {
    const error = configError(
      { HTTP_AUTH_TOKEN: TOKEN, HTTP_AUTH_TOKEN_FILE: '/run/token' },
      { readTextFile: readerWith({ '/run/token': TOKEN }) },
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]?.key).toBe('http.auth');
    expect(error.message).toMatch(/HTTP_AUTH_TOKEN .*HTTP_AUTH_TOKEN_FILE.*not both/);
    expect(error.message).not.toContain(TOKEN);
  });

  it('reports an unreadable or empty token file in one problem naming the file', () => {
    const missing = configError(
      { HTTP_AUTH_TOKEN_FILE: '/run/nope' },
      { readTextFile: readerWith({ '/run/nope': errno('ENOENT') }) },
    );
    expect(missing.problems).toEqual([
      { key: 'http.auth.tokenFile', message: 'cannot read the bearer token file /run/nope (ENOENT)' },
    ]);
    const denied = configError(
      { HTTP_AUTH_TOKEN_FILE: '/run/denied' },
      { readTextFile: readerWith({ '/run/denied': errno('EACCES') }) },
    );
    expect(denied.message).toContain('(EACCES)');
    const empty = configError(
      { HTTP_AUTH_TOKEN_FILE: '/run/empty' },
      { readTextFile: readerWith({ '/run/empty': '\n' }) },
    );
    expect(empty.problems).toEqual([
      { key: 'http.auth.tokenFile', message: 'the bearer token file /run/empty is empty' },
    ]);
  });

  it('refuses a short or malformed token without showing it', () => {
    const short = configError({ HTTP_AUTH_TOKEN: 'hunter2' });
    expect(short.problems[0]?.key).toBe('http.auth.token');
    expect(short.message).toMatch(/length greater or equal to 16.*hidden.*HTTP_AUTH_TOKEN \(value hidden\)/);
    expect(short.message).not.toContain('hunter2');

    const spaced = configError({ HTTP_AUTH_TOKEN: 'has spaces in it, 0123456789' });
    expect(spaced.message).not.toContain('has spaces');

    const fromFile = configError(
      { HTTP_AUTH_TOKEN_FILE: '/run/short' },
      { readTextFile: readerWith({ '/run/short': 'hunter2\n' }) },
    );
    expect(fromFile.problems[0]?.key).toBe('http.auth.tokenFile');
    expect(fromFile.message).toMatch(/bearer token in \/run\/short is not usable/);
    expect(fromFile.message).not.toContain('hunter2');
  });

  it('is redacted from a config dump', () => {
    const safe = redactConfig(load({ HTTP_AUTH_TOKEN: TOKEN }));
    expect(safe.http.auth.token).toBe(REDACTED);
    expect(JSON.stringify(safe)).not.toContain(TOKEN);
    expect(redactConfig(load({})).http.auth.token).toBeNull();
  });
});

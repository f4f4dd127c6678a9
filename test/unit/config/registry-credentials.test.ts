import { describe, expect, it } from 'vitest';
import { ConfigError, REDACTED, findRepoRoot, loadConfig, redactUrl, type Config } from '../../../src/config/index.js';
import { splitUrlCredentials } from '../../../src/config/url-credentials.js';

const repoRoot = findRepoRoot();

function load(env: Record<string, string>): Config {
  return loadConfig({ env, repoRoot, cwd: repoRoot });
}

function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('registry credentials in SCHEMA_REGISTRY_URL', () => {
  it('become registry.username/password, and the URL keeps no credentials (as written otherwise)', () => {
    const config = load({
      SCHEMA_REGISTRY_URL: 'https://svc-reader:pa%40ss%3Aw0rd@registry.example:8081/apis/ccompat/v7',
    });
    expect(config.registry).toMatchObject({
      url: 'https://registry.example:8081/apis/ccompat/v7',
      username: 'svc-reader',
      password: 'pa@ss:w0rd',
    });
  });

  it('take a user name alone (an API key) with no password', () => {
    const config = load({ SCHEMA_REGISTRY_URL: 'http://api-key-123@registry:8081' });
    expect(config.registry).toMatchObject({ url: 'http://registry:8081', username: 'api-key-123', password: null });
  });

  it('cannot be combined with SCHEMA_REGISTRY_USERNAME/PASSWORD: one clear problem, no password echoed', () => {
    const error = configError({
      SCHEMA_REGISTRY_URL: 'http://u:url-secret@registry:8081',
      SCHEMA_REGISTRY_PASSWORD: 'env-secret',
    });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ key: 'registry.url' });
    expect(error.problems[0]?.message).toMatch(
      /credentials in it and registry.username\/password .* are set too: give them one way only/,
    );
    expect(error.message).not.toContain('url-secret');
    expect(error.message).not.toContain('env-secret');
  });

  it('rejects a password without a user name, in the URL or in the environment', () => {
    expect(configError({ SCHEMA_REGISTRY_URL: 'http://:only-secret@registry:8081' }).message).toMatch(
      /password but no user name/,
    );
    expect(configError({ SCHEMA_REGISTRY_URL: 'http://:only-secret@registry:8081' }).message).not.toContain(
      'only-secret',
    );
    expect(configError({ SCHEMA_REGISTRY_PASSWORD: 'pw' }).problems).toEqual([
      { key: 'registry.username', message: expect.stringMatching(/required when registry.password is set/) as unknown },
    ]);
  });

  it('rejects a malformed percent escape without echoing the credentials', () => {
    const error = configError({ SCHEMA_REGISTRY_URL: 'http://user:bad%zzsecret@registry:8081' });
    expect(error.message).toMatch(/malformed percent escape/);
    expect(error.message).not.toContain('zzsecret');
  });

  it('SCHEMA_REGISTRY_AUTH_FAILURE_EXIT_MS sets registry.authFailureExitMs (default 60 s)', () => {
    expect(load({}).registry.authFailureExitMs).toBe(60_000);
    expect(load({ SCHEMA_REGISTRY_AUTH_FAILURE_EXIT_MS: '1500' }).registry.authFailureExitMs).toBe(1500);
    expect(configError({ SCHEMA_REGISTRY_AUTH_FAILURE_EXIT_MS: '0' }).problems[0]?.key).toBe(
      'registry.authFailureExitMs',
    );
  });
});

describe('splitUrlCredentials', () => {
  it('leaves a URL without credentials untouched', () => {
    expect(splitUrlCredentials('http://registry:8081/x')).toEqual({
      url: 'http://registry:8081/x',
      username: undefined,
      password: undefined,
    });
  });

  it('splits at the last @ of the authority, as URL parsing does', () => {
    expect(splitUrlCredentials('http://u:p@ss@host:1/a@b')).toEqual({
      url: 'http://host:1/a@b',
      username: 'u',
      password: 'p@ss',
    });
  });
});

describe('redactUrl', () => {
  it('hides the password of every URL in a text, keeping the user name', () => {
    const text = 'GET http://alice:s3cret@reg:8081/schemas failed; retry at https://bob:hunter2@other/x?y=1';
    const redacted = redactUrl(text);
    expect(redacted).toBe(
      `GET http://alice:${REDACTED}@reg:8081/schemas failed; retry at https://bob:${REDACTED}@other/x?y=1`,
    );
  });

  it('hides a password that holds @, / is not part of it', () => {
    expect(redactUrl('http://u:p@ss@host/path@x')).toBe(`http://u:${REDACTED}@host/path@x`);
    expect(redactUrl('"http://u:pw@host"')).toBe(`"http://u:${REDACTED}@host"`);
  });

  it('leaves URLs without a password alone', () => {
    expect(redactUrl('http://host:8081/a and mailto-ish user@example.com')).toBe(
      'http://host:8081/a and mailto-ish user@example.com',
    );
    expect(redactUrl('http://api-key@host/')).toBe('http://api-key@host/');
  });
});

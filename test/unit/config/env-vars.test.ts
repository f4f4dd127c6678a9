import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_FILE_ENV,
  ConfigError,
  ENV_VARS,
  SECRET_KEYS,
  findRepoRoot,
  loadConfig,
  redactConfig,
  type Config,
  type LoadConfigOptions,
} from '../../../src/config/index.js';

// The environment variables are declared on the schema (the env keyword in config-schema.ts); these tests hold
// config/README.md to it and check that each variable is read as its key's schema type.

const repoRoot = findRepoRoot();
const readme = readFileSync(join(repoRoot, 'config', 'README.md'), 'utf8');
const defaults = JSON.parse(readFileSync(join(repoRoot, 'config', 'default.json'), 'utf8')) as unknown;

function load(env: Record<string, string>, extra: Partial<LoadConfigOptions> = {}): Config {
  return loadConfig({ env, repoRoot, cwd: repoRoot, ...extra });
}

function problemsOf(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** The value at a dotted key; null when the key or an object around it is null or missing. */
function valueAt(tree: unknown, key: string): unknown {
  let node = tree;
  for (const part of key.split('.'))
    node = node === null || typeof node !== 'object' ? null : (node as Record<string, unknown>)[part];
  return node ?? null;
}

/** The dotted keys of every value in a tree that is not an object (null and lists included). */
function leafKeys(tree: unknown, prefix = ''): string[] {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) return [prefix];
  return Object.entries(tree).flatMap(([k, v]) => leafKeys(v, prefix === '' ? k : `${prefix}.${k}`));
}

/** The text of the "## title" section of config/README.md. */
function readmeSection(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `config/README.md has a "## ${title}" section`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The rows of the environment-variable table: variable, key and default, without backticks. */
const envTable = readmeSection('Environment variables')
  .split('\n')
  .filter((line) => line.startsWith('| `'))
  .map((line) => {
    const [name = '', key = '', shownDefault = ''] = line
      .split('|')
      .slice(1, 4)
      .map((cell) => cell.trim());
    return { name: name.replaceAll('`', ''), key: key.replaceAll('`', ''), shownDefault };
  });

describe('config/README.md documents the variables the schema declares', () => {
  it('lists exactly the declared variables, each with the key it overrides', () => {
    const documented = envTable.filter((row) => row.name !== CONFIG_FILE_ENV).map((row) => `${row.name} -> ${row.key}`);
    expect(documented.sort()).toEqual(ENV_VARS.map((spec) => `${spec.name} -> ${spec.key}`).sort());
    expect(envTable.map((row) => row.name)).toContain(CONFIG_FILE_ENV);
  });

  it("gives each variable its key's default from config/default.json", () => {
    for (const { name, key, shownDefault } of envTable.filter((row) => row.name !== CONFIG_FILE_ENV)) {
      const value = valueAt(defaults, key);
      const shown = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : JSON.stringify(value);
      const expected = value === null ? 'none' : `\`${shown}\``;
      expect(shownDefault.split(' ')[0], `${name} (${key})`).toBe(expected);
    }
  });

  it('lists every key without a variable under "Keys only settable in files"', () => {
    const envKeys = ENV_VARS.map((spec) => spec.key);
    // kafka.sasl is an object (or null) whose keys have variables.
    const fileOnly = leafKeys(defaults).filter((key) => !envKeys.some((e) => e === key || e.startsWith(`${key}.`)));
    const sections = Object.keys(defaults as object).join('|');
    const listed = [
      ...readmeSection('Keys only settable in files').matchAll(new RegExp(`\`((?:${sections})\\.[\\w.]+)\``, 'g')),
    ];
    expect(listed.map((match) => match[1]).sort()).toEqual(fileOnly.sort());
  });
});

describe('secret keys come from the schema', () => {
  it('are the passwords and the bearer token, and redactConfig hides every one', () => {
    expect([...SECRET_KEYS].sort()).toEqual(['http.auth.token', 'kafka.sasl.password', 'registry.password']);
    const marker = 'secret-marker-0123456789';
    const secretVars = ENV_VARS.filter((spec) => spec.secret);
    expect(secretVars.map((spec) => spec.key).sort()).toEqual([...SECRET_KEYS].sort());
    const config = load({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      SCHEMA_REGISTRY_USERNAME: 'reader',
      ...Object.fromEntries(secretVars.map((spec) => [spec.name, marker])),
    });
    for (const key of SECRET_KEYS) expect(valueAt(config, key), key).toBe(marker);
    expect(JSON.stringify(redactConfig(config))).not.toContain(marker);
  });
});

describe('each variable is read as the type of its key in the schema', () => {
  it('has a reading for every declared variable', () => {
    for (const spec of ENV_VARS) expect(() => load({ [spec.name]: 'x' }), spec.name).not.toThrow(/no reading/);
  });

  it('takes an empty value as none for every key that may be null, integers included', () => {
    const extra = join(repoRoot, 'config', 'test-extra.json');
    const readTextFile = (path: string) =>
      path === extra
        ? JSON.stringify({ topics: { replicationFactor: 3, minInsyncReplicas: 2 } })
        : readFileSync(path, 'utf8');
    expect(load({ CHURN_CONFIG: extra }, { readTextFile }).topics.minInsyncReplicas).toBe(2);
    expect(
      load({ CHURN_CONFIG: extra, TOPIC_MIN_INSYNC_REPLICAS: '' }, { readTextFile }).topics.minInsyncReplicas,
    ).toBeNull();
    expect(load({ KAFKA_SSL_CA_FILE: ' ', SCHEMA_REGISTRY_PASSWORD: '' }).kafka.ssl.caFile).toBeNull();
  });

  it('reads a choice case-insensitively and names the choices when it is none of them', () => {
    expect(load({ LOG_FORMAT: 'JSON', LOG_LEVEL: 'Warn' }).log).toEqual({ format: 'json', level: 'warn' });
    expect(problemsOf({ LOG_LEVEL: 'LOUD' })).toMatch(
      /log\.level: env LOG_LEVEL="LOUD" is not a log level; expected one of fatal, error, warn, info, debug, trace, silent/,
    );
    expect(problemsOf({ LOG_FORMAT: 'Fancy' })).toMatch(
      /log\.format: must be one of auto, json, pretty, got "Fancy" \(from env LOG_FORMAT="Fancy"\)/,
    );
  });

  it('refuses integer forms that a plain conversion would misread (1.5 and 1e3 as 1, 0x10 as 16)', () => {
    for (const text of ['1.5', '1e3', '0x10', '12ms']) {
      expect(problemsOf({ SHUTDOWN_DEADLINE_MS: text })).toContain(
        `env SHUTDOWN_DEADLINE_MS=${JSON.stringify(text)} is not an integer`,
      );
    }
    expect(load({ SHUTDOWN_DEADLINE_MS: ' 007 ' }).stream.shutdownDeadlineMs).toBe(7);
  });

  it('reads a number in decimal form only (Number() alone would take 0x10, Infinity, and "" as 0)', () => {
    const thresholds = load({
      DRIFT_PSI_THRESHOLD: '0.25',
      DRIFT_UNSEEN_RATE_THRESHOLD: '.05',
      DRIFT_SCORE_PSI_THRESHOLD: ' 2e-1 ',
    }).monitoring.thresholds;
    expect(thresholds).toMatchObject({ psi: 0.25, unseenRate: 0.05, scorePsi: 0.2 });
    for (const text of ['0x10', 'Infinity', '', '1,5', '0.2.1', 'NaN', '20%']) {
      expect(problemsOf({ DRIFT_PSI_THRESHOLD: text })).toContain(
        `env DRIFT_PSI_THRESHOLD=${JSON.stringify(text)} is not a number`,
      );
    }
    // The form is right, the range is not: the schema check names the key.
    expect(problemsOf({ DRIFT_MISSING_RATE_THRESHOLD: '1.5' })).toContain('monitoring.thresholds.missingRate');
  });

  it('turns SASL off with an empty or "none" mechanism, whatever credentials are set besides', () => {
    for (const mechanism of ['', 'None']) {
      expect(
        load({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'pw' }).kafka.sasl,
      ).toBeNull();
    }
  });
});

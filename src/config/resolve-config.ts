import { isAbsolute, resolve } from 'node:path';
import { Value, type ValueError } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { ConfigSchema, LOG_LEVELS, SASL_MECHANISMS, type Config, type ConfigOverrides } from './config-schema.js';
import { ENV_VARS, SECRET_KEYS, envVarForKey, type EnvVarSpec } from './env-vars.js';
import { redactUrl } from './redact.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Where a value came from, so an error can say which knob to turn. */
export type ConfigSource =
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'env'; readonly name: string; readonly raw: string; readonly secret: boolean }
  | { readonly kind: 'args' };

export interface ConfigLayers {
  /** Parsed config/default.json and its path. */
  readonly defaults: { readonly file: string; readonly values: unknown };
  /** Parsed CHURN_CONFIG file, if any. */
  readonly file?: { readonly file: string; readonly values: unknown } | undefined;
  readonly env: Environment;
  /** Command-line overrides (highest precedence); their relative paths resolve against cwd. */
  readonly args?: ConfigOverrides | undefined;
  /** Relative paths from files and env resolve against this. */
  readonly repoRoot: string;
  readonly cwd: string;
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Merges override over base: objects recursively; arrays, scalars and null replace. */
export function mergeConfig(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isTree(override) || !isTree(base)) return isTree(override) ? mergeConfig({}, override) : override;
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeConfig(base[key], value);
  return out;
}

function recordSources(values: unknown, source: ConfigSource, sources: Map<string, ConfigSource>, prefix = ''): void {
  if (!isTree(values)) {
    if (prefix !== '') sources.set(prefix, source);
    return;
  }
  if (prefix !== '') sources.set(prefix, source);
  for (const [key, value] of Object.entries(values)) recordSources(value, source, sources, prefix === '' ? key : `${prefix}.${key}`);
}

function setPath(tree: Tree, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = isTree(next) ? next : (node[part] = {}) as Tree;
  }
  node[parts[parts.length - 1] as string] = value;
}

function showEnv(spec: EnvVarSpec, raw: string): string {
  return spec.secret ? `env ${spec.name} (value hidden)` : `env ${spec.name}=${JSON.stringify(redactUrl(raw))}`;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** Env values as typed overrides. Unset variables are skipped; an empty one means "none" only where null is allowed. */
export function parseEnv(env: Environment): { overrides: Tree; sources: Map<string, ConfigSource>; problems: ConfigProblem[] } {
  const overrides: Tree = {};
  const sources = new Map<string, ConfigSource>();
  const problems: ConfigProblem[] = [];
  let saslDisabled = false;

  for (const spec of ENV_VARS) {
    const raw = env[spec.name];
    if (raw === undefined) continue;
    const text = raw.trim();
    const fail = (why: string) => problems.push({ key: spec.key, message: `${showEnv(spec, raw)} ${why}` });
    let value: unknown;
    switch (spec.kind) {
      case 'string':
        if (text === '') {
          fail('must not be empty');
          continue;
        }
        value = spec.secret ? raw : text;
        break;
      case 'optional-string':
        value = text === '' ? null : spec.secret ? raw : text;
        break;
      case 'integer':
        if (!/^-?\d+$/.test(text)) {
          fail('is not an integer');
          continue;
        }
        value = Number(text);
        break;
      case 'boolean': {
        const word = text.toLowerCase();
        if (!TRUE_WORDS.has(word) && !FALSE_WORDS.has(word)) {
          fail('is not a boolean (use true/false, 1/0, yes/no, on/off)');
          continue;
        }
        value = TRUE_WORDS.has(word);
        break;
      }
      case 'list': {
        const items = text.split(',').map((s) => s.trim());
        if (text === '' || items.some((s) => s === '')) {
          fail('must be a non-empty comma-separated list with no empty entries');
          continue;
        }
        value = items;
        break;
      }
      case 'log-level': {
        const level = text.toLowerCase();
        if (!(LOG_LEVELS as readonly string[]).includes(level)) {
          fail(`is not a log level; expected one of ${LOG_LEVELS.join(', ')}`);
          continue;
        }
        value = level;
        break;
      }
      case 'sasl-mechanism': {
        const mechanism = text.toLowerCase();
        if (mechanism === '' || mechanism === 'none') {
          saslDisabled = true;
          overrides['kafka'] = mergeConfig(overrides['kafka'], { sasl: null });
          sources.set('kafka.sasl', { kind: 'env', name: spec.name, raw, secret: false });
          continue;
        }
        if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
          fail(`is not a SASL mechanism; expected one of ${SASL_MECHANISMS.join(', ')} or none`);
          continue;
        }
        value = mechanism;
        break;
      }
    }
    // With SASL explicitly off, stray credentials must not resurrect a half-filled sasl object.
    if (saslDisabled && spec.key.startsWith('kafka.sasl.')) continue;
    setPath(overrides, spec.key, value);
    sources.set(spec.key, { kind: 'env', name: spec.name, raw, secret: spec.secret === true });
  }
  return { overrides, sources, problems };
}

function keyOf(path: string): string {
  return path.split('/').slice(1).join('.');
}

function sourceFor(key: string, sources: ReadonlyMap<string, ConfigSource>): ConfigSource | undefined {
  for (let k = key; k !== ''; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const source = sources.get(k);
    if (source !== undefined) return source;
  }
  return undefined;
}

function describeSource(key: string, source: ConfigSource | undefined): string {
  if (source === undefined) return '';
  switch (source.kind) {
    case 'env': {
      const spec = ENV_VARS.find((s) => s.name === source.name);
      return spec === undefined ? ` (from env ${source.name})` : ` (from ${showEnv(spec, source.raw)})`;
    }
    case 'file':
      return ` (from ${source.file})`;
    case 'args':
      return ' (from the command line)';
  }
}

function errorMessage(error: ValueError, key: string): string {
  if (error.value === undefined) {
    const spec = envVarForKey(key);
    return `is required${spec === undefined ? '' : ` (set ${spec.name} or the config file)`}`;
  }
  const choices = literalChoices(error.schema);
  const shown = SECRET_KEYS.has(key) ? 'a hidden value' : JSON.stringify(typeof error.value === 'string' ? redactUrl(error.value) : error.value);
  if (choices !== undefined) return `must be one of ${choices.join(', ')}, got ${shown}`;
  return `${error.message}, got ${shown}`;
}

function literalChoices(schema: TSchema): unknown[] | undefined {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  if (anyOf === undefined || !anyOf.every((s) => 'const' in s)) return undefined;
  return anyOf.map((s) => (s as unknown as { const: unknown }).const);
}

function schemaProblems(values: unknown, sources: ReadonlyMap<string, ConfigSource>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const sasl = isTree(values) && isTree(values['kafka']) ? values['kafka']['sasl'] : undefined;
  for (const error of Value.Errors(ConfigSchema, values)) {
    const key = keyOf(error.path);
    // The sasl union only says "expected union"; the object branch is checked below for precise keys.
    if (key === 'kafka.sasl' && isTree(sasl)) continue;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ key, message: errorMessage(error, key) + (error.value === undefined ? '' : describeSource(key, sourceFor(key, sources))) });
  }
  if (isTree(sasl)) {
    const saslSchema = (ConfigSchema.properties.kafka.properties.sasl.anyOf as TSchema[])[1] as TSchema;
    for (const error of Value.Errors(saslSchema, sasl)) {
      const key = `kafka.sasl.${keyOf(error.path)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({ key, message: errorMessage(error, key) + (error.value === undefined ? '' : describeSource(key, sourceFor(key, sources))) });
    }
  }
  return problems;
}

const PATH_KEYS = ['model.dir', 'kafka.ssl.caFile', 'kafka.ssl.certFile', 'kafka.ssl.keyFile'] as const;

function resolvePaths(config: Config, sources: ReadonlyMap<string, ConfigSource>, repoRoot: string, cwd: string): Config {
  const base = (key: string) => (sourceFor(key, sources)?.kind === 'args' ? cwd : repoRoot);
  const absolute = (key: string, p: string) => (isAbsolute(p) ? p : resolve(base(key), p));
  const optional = (key: string, p: string | null) => (p === null ? null : absolute(key, p));
  return {
    ...config,
    model: { ...config.model, dir: absolute(PATH_KEYS[0], config.model.dir) },
    kafka: {
      ...config.kafka,
      ssl: {
        ...config.kafka.ssl,
        caFile: optional(PATH_KEYS[1], config.kafka.ssl.caFile),
        certFile: optional(PATH_KEYS[2], config.kafka.ssl.certFile),
        keyFile: optional(PATH_KEYS[3], config.kafka.ssl.keyFile),
      },
    },
  };
}

/**
 * Pure: layers defaults < config file < environment < command line, validates the result once and resolves
 * relative paths. Throws ConfigError listing every bad key with where its value came from.
 */
export function resolveConfig(layers: ConfigLayers): Config {
  const sources = new Map<string, ConfigSource>();
  recordSources(layers.defaults.values, { kind: 'file', file: layers.defaults.file }, sources);
  let merged = layers.defaults.values;
  if (layers.file !== undefined) {
    if (!isTree(layers.file.values)) {
      throw new ConfigError([{ key: '(config)', message: `${layers.file.file} must contain a JSON object` }]);
    }
    recordSources(layers.file.values, { kind: 'file', file: layers.file.file }, sources);
    merged = mergeConfig(merged, layers.file.values);
  }
  const env = parseEnv(layers.env);
  for (const [key, source] of env.sources) sources.set(key, source);
  merged = mergeConfig(merged, env.overrides);
  if (layers.args !== undefined) {
    recordSources(layers.args, { kind: 'args' }, sources);
    merged = mergeConfig(merged, layers.args);
  }
  const problems = [...env.problems, ...schemaProblems(merged, sources).filter((p) => !env.problems.some((e) => e.key === p.key))];
  if (problems.length > 0) throw new ConfigError(problems);
  return resolvePaths(merged as Config, sources, layers.repoRoot, layers.cwd);
}

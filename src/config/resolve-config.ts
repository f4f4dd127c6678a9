import { isAbsolute, resolve } from 'node:path';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { crossFieldProblems } from './cross-field-rules.js';
import { ConfigSchema, type Config, type ConfigOverrides } from './config-schema.js';
import { coerceEnvVar } from './env-coercion.js';
import { ENV_VARS, SECRET_KEYS, envVarForKey } from './env-vars.js';
import { redactUrl } from './redact.js';
import { withRegistryCredentialsFromUrl } from './registry-credentials.js';

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
  /** Command-line overrides (highest precedence). */
  readonly args?: ConfigOverrides | undefined;
  /** Relative paths from config files resolve against this (the defaults name files of the repository). */
  readonly repoRoot: string;
  /** Relative paths a person typed (flags, environment variables) resolve against this, as in any shell. */
  readonly cwd: string;
  /**
   * The sections the command reads: only their problems stop it (`score` must not fail on a Kafka setting it never
   * uses). The other sections keep what the layers give, unchecked: the command must not read them. All when absent.
   */
  readonly sections?: readonly ConfigSection[] | undefined;
}

/** A top-level section of the configuration. */
export type ConfigSection = keyof Config;

/** Whether a problem's key ('kafka.sasl.username', '(config)') lies in a section the command reads. */
function concerns(key: string, sections: readonly ConfigSection[] | undefined): boolean {
  if (sections === undefined || key.startsWith('(')) return true;
  return (sections as readonly string[]).includes(key.split('.')[0] ?? key);
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
  for (const [key, value] of Object.entries(values))
    recordSources(value, source, sources, prefix === '' ? key : `${prefix}.${key}`);
}

function setPath(tree: Tree, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = isTree(next) ? next : (node[part] = {});
  }
  node[parts[parts.length - 1] as string] = value;
}

type EnvSource = Extract<ConfigSource, { kind: 'env' }>;

function showEnv(source: EnvSource): string {
  return source.secret
    ? `env ${source.name} (value hidden)`
    : `env ${source.name}=${JSON.stringify(redactUrl(source.raw))}`;
}

/** Env values as typed overrides. Unset variables are skipped; an empty one means "none" only where null is allowed. */
export function parseEnv(env: Environment): {
  overrides: Tree;
  sources: Map<string, ConfigSource>;
  problems: ConfigProblem[];
} {
  const overrides: Tree = {};
  const sources = new Map<string, ConfigSource>();
  const problems: ConfigProblem[] = [];
  const turnedOff = new Map<string, EnvSource>();
  for (const spec of ENV_VARS) {
    const raw = env[spec.name];
    if (raw === undefined) continue;
    const source: EnvSource = { kind: 'env', name: spec.name, raw, secret: spec.secret };
    const reading = coerceEnvVar(spec, raw);
    if ('problem' in reading) {
      problems.push({ key: spec.key, message: `${showEnv(source)} ${reading.problem}` });
    } else if ('turnsOff' in reading) {
      turnedOff.set(reading.turnsOff, source);
    } else {
      setPath(overrides, spec.key, reading.value);
      sources.set(spec.key, source);
    }
  }
  // With SASL explicitly off, stray credentials must not resurrect a half-filled sasl object.
  for (const [key, source] of turnedOff) {
    setPath(overrides, key, null);
    for (const inner of sources.keys()) if (inner.startsWith(`${key}.`)) sources.delete(inner);
    sources.set(key, source);
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

function describeSource(source: ConfigSource | undefined): string {
  if (source === undefined) return '';
  switch (source.kind) {
    case 'env':
      return ` (from ${showEnv(source)})`;
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
  const shown = SECRET_KEYS.has(key)
    ? 'a hidden value'
    : JSON.stringify(typeof error.value === 'string' ? redactUrl(error.value) : error.value);
  if (choices !== undefined) return `must be one of ${choices.join(', ')}, got ${shown}`;
  return `${nonNullBranchError(error)?.message ?? error.message}, got ${shown}`;
}

/** For a "T or null" key holding a bad T: what is wrong with it as a T, rather than "Expected union value". */
function nonNullBranchError(error: ValueError): ValueError | undefined {
  if (error.type !== ValueErrorType.Union) return undefined;
  const branches = error.errors.map((branch) => branch.First()).filter((e) => e !== undefined);
  const notNull = branches.filter((e) => e.type !== ValueErrorType.Null);
  return branches.length === 2 && notNull.length === 1 ? notNull[0] : undefined;
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
    problems.push({
      key,
      message: errorMessage(error, key) + (error.value === undefined ? '' : describeSource(sourceFor(key, sources))),
    });
  }
  if (isTree(sasl)) {
    const saslSchema = (ConfigSchema.properties.kafka.properties.sasl.anyOf as TSchema[])[1] as TSchema;
    for (const error of Value.Errors(saslSchema, sasl)) {
      const key = `kafka.sasl.${keyOf(error.path)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({
        key,
        message: errorMessage(error, key) + (error.value === undefined ? '' : describeSource(sourceFor(key, sources))),
      });
    }
  }
  return problems;
}

const PATH_KEYS = [
  'model.dir',
  'kafka.ssl.caFile',
  'kafka.ssl.certFile',
  'kafka.ssl.keyFile',
  'http.auth.tokenFile',
] as const;

function resolvePaths(
  config: Config,
  sources: ReadonlyMap<string, ConfigSource>,
  repoRoot: string,
  cwd: string,
): Config {
  const base = (key: string) => (sourceFor(key, sources)?.kind === 'file' ? repoRoot : cwd);
  const absolute = (key: string, p: string) => (isAbsolute(p) ? p : resolve(base(key), p));
  const optional = (key: string, p: string | null) => (p === null ? null : absolute(key, p));
  return {
    ...config,
    http: {
      ...config.http,
      auth: { ...config.http.auth, tokenFile: optional(PATH_KEYS[4], config.http.auth.tokenFile) },
    },
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
  const inScope = (p: { key: string }) => concerns(p.key, layers.sections);
  const problems = [
    ...env.problems,
    ...schemaProblems(merged, sources).filter((p) => !env.problems.some((e) => e.key === p.key)),
  ].filter(inScope);
  if (problems.length > 0) throw new ConfigError(problems);
  const crossField = crossFieldProblems(merged as Config).filter(inScope);
  if (crossField.length > 0) throw new ConfigError(crossField);
  return resolvePaths(withRegistryCredentialsFromUrl(merged as Config), sources, layers.repoRoot, layers.cwd);
}

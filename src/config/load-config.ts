import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { withAuthTokenFromFile } from './auth-token-file.js';
import { ConfigError } from './config-error.js';
import type { Config, ConfigOverrides } from './config-schema.js';
import { CONFIG_FILE_ENV } from './env-vars.js';
import { findRepoRoot } from './repo-root.js';
import { resolveConfig, type ConfigSection, type Environment } from './resolve-config.js';

export interface LoadConfigOptions {
  /** Defaults to process.env; pass an object in tests. */
  readonly env?: Environment;
  /** Defaults to the package root found from this module. */
  readonly repoRoot?: string;
  /** Base for relative paths given on the command line or in the environment; defaults to process.cwd(). */
  readonly cwd?: string;
  /** The sections the command reads; the others are not checked (see ConfigLayers.sections). All when absent. */
  readonly sections?: readonly ConfigSection[];
  /** Command-line overrides (highest precedence). */
  readonly args?: ConfigOverrides;
  /** File reader, injectable for tests; defaults to fs.readFileSync(utf8). */
  readonly readTextFile?: (path: string) => string;
}

export const DEFAULT_CONFIG_FILE = join('config', 'default.json');

function readJson(file: string, readTextFile: (path: string) => string): unknown {
  let text: string;
  try {
    text = readTextFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([{ key: '(config)', message: `cannot read ${file} (${code ?? String(error)})` }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ key: '(config)', message: `${file} is not valid JSON: ${(error as Error).message}` }]);
  }
}

/**
 * Thin shell over resolveConfig: reads config/default.json and the optional CHURN_CONFIG file (relative
 * paths: against the repository root), then layers env and command-line overrides, then reads the HTTP
 * bearer token file if one is configured. Call once at start-up.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const readTextFile = options.readTextFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const defaultsFile = join(repoRoot, DEFAULT_CONFIG_FILE);
  const extra = env[CONFIG_FILE_ENV]?.trim();
  const cwd = options.cwd ?? process.cwd();
  const extraFile = extra === undefined || extra === '' ? undefined : isAbsolute(extra) ? extra : resolve(cwd, extra);
  const config = resolveConfig({
    defaults: { file: defaultsFile, values: readJson(defaultsFile, readTextFile) },
    file: extraFile === undefined ? undefined : { file: extraFile, values: readJson(extraFile, readTextFile) },
    env,
    args: options.args,
    repoRoot,
    cwd,
    sections: options.sections,
  });
  return withAuthTokenFromFile(config, readTextFile);
}

import { InvalidArgumentError } from 'commander';
import { loadConfig, type Config, type ConfigOverrides } from '../config/index.js';

/** commander parser for --port: an integer 0..65535 (0 = any free port). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535');
  return port;
}

/** Flags shared by commands that load a model. */
export interface ModelFlags {
  model?: string;
}

/**
 * The configuration for a command: files and environment (src/config), then the command's flags on top.
 * Relative paths given as flags are resolved against the current directory by loadConfig.
 */
export function configWithFlags(overrides: ConfigOverrides): Config {
  return loadConfig({ args: overrides });
}

export function modelOverrides(flags: ModelFlags, strict?: boolean): ConfigOverrides['model'] {
  const model: NonNullable<ConfigOverrides['model']> = {};
  if (flags.model !== undefined) model.dir = flags.model;
  if (strict === true) model.strictCategories = true;
  return model;
}

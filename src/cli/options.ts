import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig, type Config, type ConfigOverrides, type ConfigSection } from '../config/index.js';

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
export function configWithFlags(overrides: ConfigOverrides, sections?: readonly ConfigSection[]): Config {
  return loadConfig({ args: overrides, ...(sections === undefined ? {} : { sections }) });
}

/**
 * What a command that never touches Kafka reads (`score`, `model info`): a Kafka, registry or topic setting it does
 * not use cannot stop it.
 */
export const OFFLINE_SECTIONS: readonly ConfigSection[] = ['service', 'log', 'model', 'monitoring'];

export function modelOverrides(flags: ModelFlags, strict?: boolean): ConfigOverrides['model'] {
  const model: NonNullable<ConfigOverrides['model']> = {};
  if (flags.model !== undefined) model.dir = flags.model;
  if (strict === true) model.strictCategories = true;
  return model;
}

/** Flags of the commands that listen on the side-port and load a model (`serve`, `run`). */
export interface ListenFlags extends ModelFlags {
  port?: number;
  host?: string;
}

export function withListenOptions(command: Command): Command {
  return command
    .option('--port <n>', 'side-port listen port, 0 = any free port (default: config http.port / PORT)', parsePort)
    .option(
      '--host <address>',
      'side-port listen address; 0.0.0.0 = every interface (default: config http.host / HOST, 127.0.0.1)',
    )
    .option('--model <dir>', 'model artifact directory (default: config model.dir / MODEL_DIR)');
}

/** The configuration with --port, --host and --model applied. */
export function listenConfig(flags: ListenFlags): Config {
  return configWithFlags({
    http: {
      ...(flags.port === undefined ? {} : { port: flags.port }),
      ...(flags.host === undefined ? {} : { host: flags.host }),
    },
    model: modelOverrides(flags),
  });
}

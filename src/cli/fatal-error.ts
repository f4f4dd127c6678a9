import { ConfigError } from '../config/index.js';
import { ModelArtifactError } from '../model/index.js';

/** An error the CLI reports as one line, without a stack trace (bad file paths, bad flags). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * One line for the user. Known failures (config, artifact, CLI usage, file system) are explained; anything
 * else is a bug, so its stack goes to stderr as well via `detailOf`.
 */
export function describeFatalError(err: unknown): string {
  if (err instanceof ConfigError) {
    return `invalid configuration: ${err.problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`;
  }
  if (err instanceof ModelArtifactError) return `cannot load model: ${err.message}`;
  if (err instanceof CliError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('E') && err instanceof Error) return err.message;
  return err instanceof Error ? `unexpected error: ${err.message}` : `unexpected error: ${String(err)}`;
}

/** True for errors worth a stack trace (not one of the expected, explained failures). */
export function isUnexpected(err: unknown): boolean {
  if (err instanceof ConfigError || err instanceof ModelArtifactError || err instanceof CliError) return false;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return !(typeof code === 'string' && code.startsWith('E'));
}

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import { runProcess, type ProcessResult } from '../support/run-process.js';

const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** bin/churn-scorer, run as an executable (its shebang, then dist/ from the build `npm ci` runs) */
export const LAUNCHER = join(REPO_ROOT, 'bin', 'churn-scorer');

/** Only PATH and HOME from the caller, so its configuration (KAFKA_BROKERS, PORT, ...) cannot leak in. */
function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env };
}

/**
 * Runs the CLI from source through tsx's loader (no build needed), or with `via: 'launcher'` as a user does,
 * as a separate process so exit codes, stdout and stderr are the real ones.
 */
export function runCli(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; via?: 'source' | 'launcher' } = {},
): Promise<ProcessResult> {
  const [command, commandArgs] =
    options.via === 'launcher' ? [LAUNCHER, [...args]] : [process.execPath, ['--import', 'tsx', MAIN, ...args]];
  return runProcess(command, commandArgs, { env: cleanEnv(options.env), stdin: options.stdin ?? '' });
}

/** A running `churn-scorer serve`. */
export interface Served {
  /** base URL from its `address` log field */
  address: string;
  stdout: () => string;
  /** stdout and stderr, interleaved as they arrived */
  output: () => string;
  /** SIGTERM, then its exit code */
  stop: () => Promise<number | null>;
}

/** `churn-scorer serve <args>` from source with JSON logs and a clean environment plus `env`; resolves once it logs its address. */
export async function serve(args: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv({ LOG_FORMAT: 'json', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /"address":"(http:\/\/[^"]+)"/.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.on('exit', (code) => {
      reject(new Error(`serve exited early with ${String(code)}: ${output}`));
    });
  });
  return {
    address,
    stdout: () => stdout,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}

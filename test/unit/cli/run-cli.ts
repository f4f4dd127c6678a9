import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findRepoRoot } from '../../../src/config/index.js';

export const REPO_ROOT = findRepoRoot();
const MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** bin/churn-scorer, run as an executable (its shebang, then dist/ from the build `npm ci` runs) */
export const LAUNCHER = join(REPO_ROOT, 'bin', 'churn-scorer');

/**
 * Runs the CLI from source through tsx's loader (no build needed), or with `via: 'launcher'` as a user does,
 * as a separate process so exit codes, stdout and stderr are the real ones. The environment is reduced so the
 * caller's config cannot leak in.
 */
export function runCli(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; via?: 'source' | 'launcher' } = {},
): Promise<CliRun> {
  const [command, commandArgs] =
    options.via === 'launcher' ? [LAUNCHER, [...args]] : [process.execPath, ['--import', 'tsx', MAIN, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

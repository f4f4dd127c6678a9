import { execFile } from 'node:child_process';
import { REPO_ROOT } from './paths.js';

/** How a process ended and what it wrote. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** SIGKILLed at `timeoutMs` */
  timedOut: boolean;
  elapsedMs: number;
}

export interface RunOptions {
  /** the child's whole environment (default: this process's) */
  env?: NodeJS.ProcessEnv;
  /** written to its stdin, which is then closed */
  stdin?: string;
  /** SIGKILL after this long; no limit when unset */
  timeoutMs?: number;
}

/**
 * Runs a command from the repository root to its exit and resolves with its exit code or signal and
 * its output; rejects only when it cannot be started (no such file), so callers assert on the result.
 */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        cwd: REPO_ROOT,
        env: options.env ?? process.env,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: options.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        // A string code (ENOENT, EACCES, ...) means it never ran; a number is its exit code.
        if (error !== null && typeof error.code === 'string') {
          reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error }));
          return;
        }
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          signal: error?.signal ?? null,
          stdout,
          stderr,
          timedOut: error?.killed === true,
          elapsedMs: Date.now() - started,
        });
      },
    );
    // A child that exits without reading its stdin must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
  });
}

/**
 * Every process a benchmark starts goes through here, so that all of them are stopped on any exit path:
 * normal end, thrown error, Ctrl-C/SIGTERM of the bench itself. Children run in their own process group
 * (detached) and are signalled as a group, so helpers they spawn go too.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Tracked {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** resolves with the exit code (or the signal name) once the process is gone */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone */
  stop(graceMs?: number): Promise<number | string>;
}

const running = new Set<Tracked>();

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

let hooksInstalled = false;
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const t of running) signalGroup(t.pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping ${running.size} child process(es)\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

export interface StartOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** file that receives the child's stdout and stderr (kept for post-mortems) */
  logFile?: string;
  /** capture stdout into `output()` instead of the log file */
  captureStdout?: boolean;
}

export interface StartedProcess extends Tracked {
  output(): string;
}

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): StartedProcess {
  installHooks();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`bench: could not start ${name} (${command} ${args.join(' ')})`);
  const pid = child.pid;
  let stdout = '';
  if (options.logFile !== undefined) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const log = createWriteStream(options.logFile);
    if (!options.captureStdout) child.stdout.pipe(log);
    child.stderr.pipe(log);
  } else {
    child.stderr.resume();
    if (!options.captureStdout) child.stdout.resume();
  }
  if (options.captureStdout) {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
  }

  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      resolve(`spawn error: ${err.message}`);
    });
  });
  const tracked: StartedProcess = {
    name,
    pid,
    child,
    exited,
    output: () => stdout,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => {
          signalGroup(pid, 'SIGKILL');
        }, graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
  running.add(tracked);
  void exited.then(() => running.delete(tracked));
  return tracked;
}

export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((t) => t.stop(5_000)));
}

/** Runs a command to completion within timeoutMs; rejects on a non-zero exit with the stderr tail. */
export async function runToCompletion(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions & { timeoutMs: number },
): Promise<string> {
  const proc = startProcess(name, command, args, { ...options, captureStdout: true });
  const timer = setTimeout(() => void proc.stop(2_000), options.timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) {
    const where = options.logFile === undefined ? '' : ` (log: ${options.logFile})`;
    throw new Error(`${name} exited with ${code}${where}`);
  }
  return proc.output();
}

/** Polls url until it answers 2xx, the process dies, or timeoutMs passes. */
export async function waitForHttp(url: string, proc: Tracked, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: number | string | undefined;
  void proc.exited.then((c) => (dead = c));
  while (Date.now() < deadline) {
    if (dead !== undefined) throw new Error(`${proc.name} exited (${dead}) before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${proc.name}: ${url} did not answer 2xx within ${timeoutMs / 1000} s`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { must } from './must.js';
import { REPO_ROOT, TEST_LOG_DIR } from './paths.js';
import { stackEndpoints } from './stack.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Configuration variables of churn-scorer (src/config/env-vars.ts) that a test must set itself
 * and never inherit from the shell that runs vitest; connection credentials are inherited.
 */
const NOT_INHERITED = [
  'CHURN_CONFIG',
  'CONSUMER_GROUP',
  'HOST',
  'KAFKA_BROKERS',
  'KAFKA_CLIENT_ID',
  'LOG_LEVEL',
  'MAX_RECORD_BYTES',
  'MODEL_DIR',
  'PORT',
  'SCHEMA_REGISTRY_URL',
  'SESSION_TIMEOUT_MS',
  'SHUTDOWN_DEADLINE_MS',
  'STRICT_CATEGORIES',
  'STUCK_AFTER_MS',
  'TOPICS_CREATE',
  'TOPIC_CUSTOMERS',
  'TOPIC_DLQ',
  'TOPIC_PARTITIONS',
  'TOPIC_PREDICTIONS',
  'TOPIC_REPLICATION_FACTOR',
  'TOPIC_MIN_INSYNC_REPLICAS',
  'TOPIC_REPLAY',
  'TOPIC_PREDICTIONS_SHADOW',
  'TOPIC_MODELS',
  'TOPIC_ROLLOUT',
  'TOPIC_DRIFT',
  'TOPIC_OUTCOMES',
  'TOPIC_PREDICTIONS_OUTCOMES',
  'TOPIC_JOIN_CHANGELOG',
  'OUTCOME_JOIN',
  'OUTCOME_ATTRIBUTION_WINDOW_MS',
  'REALIZED_WINDOW_RECORDS',
  'BANDIT_INTERVAL_MS',
  'DRIFT_MONITORING',
  'DRIFT_WINDOW_RECORDS',
  'DRIFT_WINDOW_MS',
  'DRIFT_PSI_THRESHOLD',
  'DRIFT_SCORE_PSI_THRESHOLD',
  'DRIFT_UNSEEN_RATE_THRESHOLD',
  'DRIFT_MISSING_RATE_THRESHOLD',
  'DRIFT_OUT_OF_RANGE_RATE_THRESHOLD',
  'DRIFT_MIN_RECORDS',
  'MODEL_FOLLOW_ROLLOUT',
  'PREDICTION_REASONS',
  'TRANSACTION_MAX_BYTES',
  'TRANSACTION_MAX_MS',
  'TRANSACTION_MAX_RECORDS',
  'NODE_OPTIONS',
  'LOG_FORMAT',
  'STARTUP_TIMEOUT_MS',
];

const alive = new Set<ManagedProcess>();
const startedSinceMark: ManagedProcess[] = [];

// A vitest worker that dies (or a test that forgets) must not leave scorers running.
process.once('exit', () => {
  for (const p of alive) p.child.kill('SIGKILL');
});

/**
 * One churn-scorer CLI process (`node --import tsx src/cli/main.ts ...`), its stdout and stderr
 * going to a log file under .stack/test-logs/ so a failure can be diagnosed afterwards.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<ExitStatus>;
  status: ExitStatus | undefined;

  constructor(
    readonly label: string,
    readonly args: readonly string[],
    env: Readonly<Record<string, string>>,
  ) {
    mkdirSync(TEST_LOG_DIR, { recursive: true });
    this.logFile = join(TEST_LOG_DIR, `${label}.log`);
    const fd = openSync(this.logFile, 'a');
    const shown = Object.entries(env)
      .filter(([k]) => !/PASSWORD|USERNAME/.test(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    writeSync(fd, `# ${new Date().toISOString()} churn-scorer ${args.join(' ')}\n# env: ${shown}\n`);
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !NOT_INHERITED.includes(k) && !k.startsWith('VITEST')),
    );
    const { brokers, registryUrl } = stackEndpoints();
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...inherited, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, ...env },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd); // the child holds its own copy
    alive.add(this);
    startedSinceMark.push(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.status = { code, signal };
        alive.delete(this);
        resolve(this.status);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.status === undefined;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 40): string {
    return this.log().trimEnd().split('\n').slice(-lines).join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Waits for the exit; a process still running after `timeoutMs` is an error naming it. */
  async waitForExit(timeoutMs: number): Promise<ExitStatus> {
    const timedOut = Symbol('timeout');
    const outcome = await Promise.race([this.exited, sleep(timeoutMs, timedOut)]);
    if (outcome === timedOut) {
      throw new Error(`${this.label} (pid ${this.pid}) still running after ${timeoutMs} ms; log tail:\n${this.tail()}`);
    }
    return outcome;
  }

  /** SIGKILL and wait: the process gets no chance to clean up (a crash). */
  async kill(): Promise<ExitStatus> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** A `churn-scorer run` process with its side-port. */
export class WorkerProcess extends ManagedProcess {
  private baseUrl: string | undefined;

  /** The side-port's base URL, parsed from the `side-port listening on <url>` log line. */
  async address(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.baseUrl === undefined) {
      const match = /side-port listening on (http:\/\/[^\s"]+)/.exec(this.log());
      if (match) {
        this.baseUrl = must(match[1], 'the URL of the side-port log line');
        break;
      }
      if (!this.running)
        throw new Error(`${this.label} exited (${describeExit(this.status)}) before listening:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.label}: no side-port after ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(100);
    }
    return this.baseUrl;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${await this.address()}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.text() };
  }

  /** Partitions of `topic` the worker was given at its last group join (from its log). */
  lastAssignment(topic: string): number[] | undefined {
    let found: number[] | undefined;
    for (const line of this.log().split('\n')) {
      if (!line.includes('"joined consumer group"') || !line.includes(`"topic":"${topic}"`)) continue;
      found = (JSON.parse(line) as { partitions: number[] }).partitions;
    }
    return found;
  }

  /** Polls GET /readyz until it answers 200 (consumer joined, producers fenced in). */
  async waitForReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.address(timeoutMs);
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`${this.label} exited (${describeExit(this.status)}) before ready:\n${this.tail()}`);
      try {
        const { status, body } = await this.get('/readyz');
        if (status === 200) return;
        last = `${status} ${body}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`${this.label} not ready after ${timeoutMs} ms (last /readyz: ${last}):\n${this.tail()}`);
  }
}

export interface WorkerOptions {
  label: string;
  /** TOPIC_*, CONSUMER_GROUP and any other overrides */
  env: Readonly<Record<string, string>>;
  /** `run` (default), or `join`: the outcome join alone */
  command?: 'run' | 'join';
}

/** Test defaults: free port, fast failover, small partitions count, info logs. */
export const WORKER_TEST_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  SESSION_TIMEOUT_MS: '6000',
  TOPIC_PARTITIONS: '3',
};

export function startWorker(options: WorkerOptions): WorkerProcess {
  return new WorkerProcess(options.label, [options.command ?? 'run'], { ...WORKER_TEST_ENV, ...options.env });
}

/** How a one-shot command ended and what it printed (stdout and stderr together). */
export interface ProcessRun {
  status: ExitStatus;
  output: string;
}

/** Runs a one-shot CLI command (e.g. `replay`) to its end. */
export async function runCli(
  label: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<ProcessRun> {
  const process = new ManagedProcess(label, args, { LOG_LEVEL: 'info', ...env });
  try {
    const status = await process.waitForExit(timeoutMs);
    return { status, output: process.log() };
  } finally {
    if (process.running) await process.kill();
  }
}

export function describeExit(status: ExitStatus | undefined): string {
  if (status === undefined) return 'running';
  return status.signal !== null ? `signal ${status.signal}` : `code ${status.code}`;
}

/** Ends every process the tests started that is still running (SIGKILL); returns what ran since the last call. */
export async function killAllProcesses(): Promise<ManagedProcess[]> {
  const started = startedSinceMark.splice(0);
  await Promise.all([...alive].map((p) => p.kill()));
  return started;
}

/**
 * The end of a test: SIGKILL whatever churn-scorer processes are still running and, when the test
 * failed, print the tail of the log of each process it started (the full logs stay in .stack/test-logs/).
 */
export async function endTestProcesses(failed: boolean): Promise<void> {
  const started = await killAllProcesses();
  if (!failed) return;
  for (const p of started) {
    process.stderr.write(`\n----- ${p.label} (pid ${p.pid}, log ${p.logFile}) -----\n${p.tail(60)}\n`);
  }
}

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { REPO_PATHS, REPO_ROOT } from '../config/repo-paths.js';
import { ScorerError } from '../errors/scorer-error.js';

const STACK_ENV = REPO_PATHS.localStackEnv;

/** The local Kafka + registry (scripts/stack) did not start, or left no usable .stack/env. */
export class LocalStackError extends ScorerError {
  static override readonly code = 'CHURN_ERR_LOCAL_STACK';
  override readonly name = 'LocalStackError';
}

export interface LocalStackEnv {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
}

/** Runs one of scripts/stack/*.sh with its output on our stderr; resolves with its exit code. */
function runStackScript(name: 'up' | 'down' | 'status', quiet = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`scripts/stack/${name}.sh`], {
      cwd: REPO_ROOT,
      stdio: ['ignore', quiet ? 'ignore' : process.stderr, quiet ? 'ignore' : process.stderr],
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve(code ?? 1);
    });
  });
}

export async function localStackRunning(): Promise<boolean> {
  return (await runStackScript('status', true)) === 0;
}

/** `npm run stack:up` (idempotent) and the addresses it wrote to .stack/env. */
export async function startLocalStack(): Promise<LocalStackEnv> {
  const code = await runStackScript('up');
  if (code !== 0)
    throw new LocalStackError(`local stack did not start (scripts/stack/up.sh exited ${code}); see .stack/logs/`);
  return readStackEnv();
}

export async function stopLocalStack(): Promise<void> {
  await runStackScript('down');
}

export function readStackEnv(path: string = STACK_ENV): LocalStackEnv {
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^(?:export\s+)?([A-Z_]+)=["']?([^"'\n]*)["']?$/.exec(line.trim());
    if (match) values[match[1] as string] = match[2] as string;
  }
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = values;
  if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL)
    throw new LocalStackError(`${path}: KAFKA_BROKERS or SCHEMA_REGISTRY_URL missing`);
  return { KAFKA_BROKERS, SCHEMA_REGISTRY_URL };
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { must } from './must.js';
import { REPO_ROOT } from './paths.js';
import { runProcess } from './run-process.js';

/** Where the broker and the schema registry of this test run are. */
export interface StackEndpoints {
  brokers: string[];
  registryUrl: string;
}

const LOCAL_STACK_ENV = join(REPO_ROOT, '.stack', 'env');

/**
 * The stack handed out by the global setup (test/setup/kafka-stack.ts): its provided values
 * first, then KAFKA_BROKERS / SCHEMA_REGISTRY_URL, then the local stack's .stack/env.
 */
export function stackEndpoints(): StackEndpoints {
  const brokers = pick('kafkaBrokers', 'KAFKA_BROKERS');
  const registryUrl = pick('schemaRegistryUrl', 'SCHEMA_REGISTRY_URL');
  return {
    brokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== ''),
    registryUrl,
  };
}

/**
 * Whether the brokers under test are the local stack's (scripts/stack), which the chaos tests
 * may restart. Returns the reason when they are not.
 */
export function localStackCheck(): { local: true } | { local: false; reason: string } {
  const local = readLocalStackEnv();
  if (local === undefined) return { local: false, reason: `no local stack: ${LOCAL_STACK_ENV} does not exist` };
  const ours = stackEndpoints().brokers.join(',');
  if (local['KAFKA_BROKERS'] !== ours) {
    return {
      local: false,
      reason: `KAFKA_BROKERS=${ours} is not the local stack's (${LOCAL_STACK_ENV} says ${local['KAFKA_BROKERS'] ?? 'nothing'})`,
    };
  }
  return { local: true };
}

function pick(key: 'kafkaBrokers' | 'schemaRegistryUrl', envName: string): string {
  let provided: unknown;
  try {
    provided = (inject as (name: string) => unknown)(key);
  } catch {
    provided = undefined; // outside a vitest worker with provide(): fall through
  }
  if (typeof provided === 'string' && provided !== '') return provided;
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const fromFile = readLocalStackEnv()?.[envName];
  if (fromFile !== undefined && fromFile !== '') return fromFile;
  throw new Error(
    `test stack missing: neither inject('${key}'), ${envName} nor ${LOCAL_STACK_ENV} gives it (start it with npm run stack:up)`,
  );
}

function readLocalStackEnv(): Record<string, string> | undefined {
  if (!existsSync(LOCAL_STACK_ENV)) return undefined;
  const out: Record<string, string> = {};
  for (const line of readFileSync(LOCAL_STACK_ENV, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[must(match[1], 'a variable name')] = must(match[2], 'a value');
  }
  return out;
}

export interface ScriptRun {
  code: number | null;
  /** stdout then stderr */
  output: string;
  ms: number;
}

/**
 * Runs scripts/stack/<script> (the local stack's, or another's with STACK_DIR in `env`) to its exit,
 * SIGKILLed after `timeoutMs`; never rejects for a failure, so the caller asserts on the code.
 */
export async function runStackScript(
  script: string,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<ScriptRun> {
  const run = await runProcess('bash', [join(REPO_ROOT, 'scripts/stack', script), ...args], {
    env: { ...process.env, ...options.env },
    timeoutMs: options.timeoutMs,
  });
  return { code: run.code, output: `${run.stdout}${run.stderr}`.trim(), ms: run.elapsedMs };
}

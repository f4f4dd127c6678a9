import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { must } from '../support/must.js';
import { topicEnv } from '../support/names.js';
import { REPO_ROOT } from '../support/paths.js';
import { runProcess, type ProcessResult } from '../support/run-process.js';
import { stackEndpoints } from '../support/stack.js';
import { test } from '../support/stream-fixture.js';

/**
 * `churn-scorer run` when something it needs is not there: one line on stderr saying what and what to do,
 * exit 1, no stack trace, within the start-up budget. Each case is a real process against the real broker
 * and registry of the test stack, or against a port where nothing (or nothing useful) listens.
 */

const BUDGET_MS = 3_000;
// Process start (tsx compiling the sources, loading the model) on a loaded 2-core machine, on top of the budget.
const START_OVERHEAD_MS = 12_000;

/**
 * Runs `churn-scorer run` as a user would, from the sources (`via: 'launcher'`: bin/churn-scorer, the built
 * copy, as installed) with only the given configuration in its environment, and waits for its exit.
 */
async function runScorer(
  env: Record<string, string>,
  options: { via?: 'source' | 'launcher'; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  const [command, args] =
    options.via === 'launcher'
      ? [join(REPO_ROOT, 'bin', 'churn-scorer'), ['run']]
      : [process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'run']];
  const timeoutMs = options.timeoutMs ?? 60_000;
  const run = await runProcess(command, args, {
    env: {
      // the node running the tests, for the launcher's `#!/usr/bin/env node`
      PATH: `${join(process.execPath, '..')}:${process.env['PATH'] ?? ''}`,
      HOME: process.env['HOME'] ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      STARTUP_TIMEOUT_MS: String(BUDGET_MS),
      ...env,
    },
    timeoutMs,
  });
  if (run.timedOut) {
    throw new Error(
      `churn-scorer run still running after ${timeoutMs} ms; stderr:\n${run.stderr}\nstdout tail:\n${run.stdout.slice(-3_000)}`,
    );
  }
  return run;
}

/** Exit 1, exactly one line on stderr (returned), and no stack trace anywhere. */
function expectOneLineFailure(run: ProcessResult): string {
  const context = `stderr:\n${run.stderr}\nstdout tail:\n${run.stdout.slice(-2_000)}`;
  expect(run.signal, context).toBeNull();
  expect(run.code, context).toBe(1);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, context).toHaveLength(1);
  expect(`${run.stderr}\n${run.stdout}`, context).not.toMatch(/^\s+at /m);
  return must(lines[0], 'a line on stderr');
}

/** A port nothing listens on (bound once by us, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP port that accepts connections and never says a word: not a Kafka broker, and not refusing either. */
async function silentPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function secondsIn(line: string): number {
  return Number(/ for (\d+(?:\.\d)?) s/.exec(line)?.[1]);
}

const LOCAL_STACK_HINT = 'start the local stack with `npm run stack:up`';

describe('churn-scorer run: start-up failures are one line, exit 1, no stack trace', () => {
  test('no broker (bin/churn-scorer): names the broker and the fix, after trying for the start-up budget', async () => {
    const port = await closedPort();
    const run = await runScorer({ KAFKA_BROKERS: `127.0.0.1:${port}` }, { via: 'launcher' });
    const line = expectOneLineFailure(run);
    expect(line).toMatch(
      new RegExp(
        `^churn-scorer: cannot reach Kafka at 127\\.0\\.0\\.1:${port} for \\d+(\\.\\d)? s ` +
          `\\(Connection error: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\): set KAFKA_BROKERS or start the local stack with \`npm run stack:up\`$`,
      ),
    );
    // it kept trying for the budget (several attempts, each logged), then stopped
    expect(secondsIn(line)).toBeGreaterThanOrEqual(BUDGET_MS / 1000);
    expect(secondsIn(line)).toBeLessThanOrEqual(BUDGET_MS / 1000 + 1);
    expect(run.stdout.match(/Kafka not answering; trying again/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    expect(run.elapsedMs).toBeLessThan(BUDGET_MS + START_OVERHEAD_MS);
    // stdout is not a terminal here: JSON lines
    for (const logLine of run.stdout.trim().split('\n'))
      expect(() => JSON.parse(logLine) as unknown, logLine).not.toThrow();
  });

  test('a port that accepts but never answers: gives up at the budget and does not hang on the open connection', async () => {
    const silent = await silentPort();
    try {
      const run = await runScorer({ KAFKA_BROKERS: `127.0.0.1:${silent.port}` });
      const line = expectOneLineFailure(run);
      expect(line).toBe(
        `churn-scorer: cannot reach Kafka at 127.0.0.1:${silent.port} for ${(BUDGET_MS / 1000).toFixed(1)} s: ` +
          `set KAFKA_BROKERS or ${LOCAL_STACK_HINT}`,
      );
      expect(run.elapsedMs).toBeLessThan(BUDGET_MS + START_OVERHEAD_MS);
    } finally {
      await silent.close();
    }
  });

  test('no schema registry (real broker): names the registry URL and the fix, never the registry password', async ({
    stream,
  }) => {
    const { names } = stream;
    await stream.createTopics({ partitions: 1 });
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
    const run = await runScorer({
      ...topicEnv(names),
      KAFKA_BROKERS: stackEndpoints().brokers.join(','),
      SCHEMA_REGISTRY_URL: url,
      SCHEMA_REGISTRY_USERNAME: 'scorer',
      SCHEMA_REGISTRY_PASSWORD: 'registry-secret-3141',
    });
    const line = expectOneLineFailure(run);
    expect(line).toMatch(
      new RegExp(
        `^churn-scorer: cannot reach the schema registry at ${url.replace(/[./]/g, '\\$&')} for \\d+(\\.\\d)? s ` +
          `\\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\): set SCHEMA_REGISTRY_URL or start the local stack with \`npm run stack:up\`$`,
      ),
    );
    expect(secondsIn(line)).toBeGreaterThanOrEqual(BUDGET_MS / 1000);
    expect(secondsIn(line)).toBeLessThanOrEqual(BUDGET_MS / 1000 + 1);
    expect(run.stdout).toContain('schema registry not answering; retrying');
    expect(`${run.stderr}${run.stdout}`).not.toContain('registry-secret-3141');
    expect(run.elapsedMs).toBeLessThan(BUDGET_MS + START_OVERHEAD_MS);
  });

  test('a bad configuration value: names the key, the variable and its value, before connecting to anything', async () => {
    const run = await runScorer({ KAFKA_BROKERS: 'localhost' });
    expect(expectOneLineFailure(run)).toBe(
      `churn-scorer: invalid configuration: kafka.brokers.0: Expected string to match '^\\S+:\\d{1,5}$', got "localhost" ` +
        '(from env KAFKA_BROKERS="localhost") (config/README.md lists the keys and variables)',
    );
    expect(run.stdout).toBe('');
  });

  test('TOPICS_CREATE=false with topics missing: names them and the switch', async ({ stream }) => {
    const { names } = stream;
    await stream.createTopics({ partitions: 1, topics: [names.customers] });
    const run = await runScorer({
      ...topicEnv(names),
      KAFKA_BROKERS: stackEndpoints().brokers.join(','),
      TOPICS_CREATE: 'false',
    });
    const line = expectOneLineFailure(run);
    expect(
      line.startsWith(
        `churn-scorer: topics missing: ${names.predictions}, ${names.deadLetter}, ${names.replay}, ` +
          `${names.shadow}, ${names.drift}, ${names.models}, ${names.rollout}, ${names.outcomes}, ${names.joined}, ` +
          `${names.joinChangelog}; `,
      ),
      line,
    ).toBe(true);
    expect(line).toContain('TOPICS_CREATE=true');
  });

  test('TOPICS_CREATE=false with the schemas not registered: names the subject and the switch', async ({ stream }) => {
    const { names } = stream;
    await stream.createTopics({ partitions: 1 });
    await stream.createTopics({
      partitions: 1,
      topics: [names.models, names.rollout, names.outcomes, names.joined, names.joinChangelog],
    });
    const { brokers, registryUrl } = stackEndpoints();
    const run = await runScorer({
      ...topicEnv(names),
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      TOPICS_CREATE: 'false',
    });
    expect(expectOneLineFailure(run)).toBe(
      `churn-scorer: schema churn.CustomerEvent is not registered under subject ${names.customers}-value at ` +
        `${registryUrl}; register it (schemas/ has the .avsc files) or set topics.create=true ` +
        '(env TOPICS_CREATE=true) to let the worker do it',
    );
  });

  test('SASL against a listener that does not use it: says so and names the settings, without the password', async () => {
    const run = await runScorer({
      KAFKA_BROKERS: stackEndpoints().brokers.join(','),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'scorer',
      KAFKA_SASL_PASSWORD: 'kafka-secret-2718',
    });
    const line = expectOneLineFailure(run);
    expect(line).toBe(
      `churn-scorer: Kafka at ${stackEndpoints().brokers.join(', ')} refused SASL plain authentication ` +
        '(ILLEGAL_SASL_STATE: Request is not valid given the current SASL state): check KAFKA_SASL_MECHANISM, ' +
        'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (KAFKA_SASL_MECHANISM=none when the listener does not use SASL)',
    );
    expect(`${run.stderr}${run.stdout}`).not.toContain('kafka-secret-2718');
  });

  test('no model directory: names the directory and how to point at one', async () => {
    const run = await runScorer({ MODEL_DIR: '/nonexistent/churn-model' });
    expect(expectOneLineFailure(run)).toBe(
      'churn-scorer: cannot load model: /nonexistent/churn-model/model.json: model directory /nonexistent/churn-model does not exist ' +
        'or is not a directory; point MODEL_DIR or --model at a model directory (models/churn/1.0.0; `npm run train` writes one)',
    );
  });
});

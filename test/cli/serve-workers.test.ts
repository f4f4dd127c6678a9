import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/index.js';
import { predictCustomer } from '../../src/model/predict-customer.js';
import { servingModel } from '../../src/serving/serving-set.js';
import { REPO_ROOT } from '../support/paths.js';
import { runProcess } from '../support/run-process.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAUNCHER, serve } from './run-cli.js';

const MODEL_DIR = join(REPO_ROOT, 'models', 'churn', '1.0.0');
/** serve's drain deadline (src/cli/commands/serve.ts) */
const CLOSE_DEADLINE_MS = 10_000;

/** bin/churn-scorer runs dist/ (`npm run build`); `env` in its shebang finds the node running the tests. */
function launcherEnv(): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
    HOME: process.env['HOME'] ?? '',
    LOG_FORMAT: 'json',
  };
}

interface LogLine {
  msg: string;
  pid: number;
  worker?: number;
  address?: string;
  workerPids?: number[];
}

/** `bin/churn-scorer serve --workers 2 --port 0`, resolved once the primary says every worker listens. */
async function serveTwoWorkers() {
  const child = spawn(LAUNCHER, ['serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1'], {
    cwd: REPO_ROOT,
    env: launcherEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const logs = (): LogLine[] =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  const ready = await waitFor(() => logs().find((l) => l.msg.startsWith('all 2 HTTP workers listening on')), {
    timeoutMs: 30_000,
    what: 'serve --workers 2 to listen',
  });
  return { child, exited, logs, ready, stderr: () => stderr };
}

async function metricsText(address: string): Promise<string> {
  const res = await fetch(`${address}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of the exposition line `<series> <value>`, or undefined. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** Polls `find` until it returns a value; fails after `timeoutMs` naming `what`. */
async function waitFor<T>(find: () => T | undefined, options: { timeoutMs: number; what: string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await sleep(50);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('bin/churn-scorer serve --workers 2 (node:cluster)', () => {
  it('answers like the in-process model on both workers, shows the whole server in /metrics, restarts a killed worker and drains on SIGTERM', async () => {
    const served = await serveTwoWorkers();
    const address = served.ready.address ?? '(no address logged)';
    const [killed, survivor] = served.ready.workerPids ?? [];
    if (killed === undefined || survivor === undefined) throw new Error('the primary did not name its two workers');
    const firstPids = [killed, survivor];
    let stopped = false;
    try {
      const model = await loadModel(MODEL_DIR);
      const { rules } = servingModel(model, false);
      const customers = readFileSync(join(MODEL_DIR, 'parity.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(0, 200)
        .map((line) => {
          const row = JSON.parse(line) as { customerid: string; raw: Record<string, unknown> };
          return { customerid: row.customerid, ...row.raw };
        });

      // eight at a time: fetch opens eight connections, which the primary hands out to both workers
      const answers: unknown[] = new Array(customers.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = next++; i < customers.length; i = next++) {
            const res = await fetch(`${address}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(customers[i]),
            });
            expect(res.status).toBe(200);
            answers[i] = await res.json();
          }
        }),
      );
      customers.forEach((customer, i) => {
        const expected = predictCustomer(customer, rules, model);
        if (!expected.ok) throw new Error(`customer ${i} is invalid in-process`);
        expect(answers[i]).toEqual({
          churn_probability: expected.churn_probability,
          churn: expected.churn,
          model_version: '1.0.0',
          variant: 'champion',
          rollout_revision: 0,
          warnings: [...expected.warnings],
        });
      });

      const before = await metricsText(address);
      expect(series(before, 'http_requests_total{route="/predict",method="POST",status="200"}')).toBe(200);
      const churned = series(before, 'churn_predictions_total{outcome="churn",source="http"}') ?? 0;
      const kept = series(before, 'churn_predictions_total{outcome="no_churn",source="http"}') ?? 0;
      expect(churned + kept).toBe(200);
      const perWorker = [1, 2].map((w) => series(before, `churn_http_worker_requests_total{worker="${w}"}`) ?? 0);
      expect(
        perWorker.every((n) => n > 0),
        `requests per worker: ${perWorker.join(', ')}`,
      ).toBe(true);
      expect(perWorker.reduce((a, b) => a + b, 0)).toBe(200);
      expect(series(before, 'churn_model_info{name="churn",version="1.0.0",worker="1"}')).toBe(1);
      expect(series(before, 'churn_model_info{name="churn",version="1.0.0",worker="2"}')).toBe(1);
      expect(series(before, 'churn_http_workers')).toBe(2);
      // the dashboard shows the whole server too, whichever worker answers it
      for (let i = 0; i < 4; i++) {
        const view = (await (await fetch(`${address}/dashboard/view`)).json()) as {
          predictions: { churn: number; no_churn: number };
        };
        expect(view.predictions).toMatchObject({ churn: churned, no_churn: kept });
      }

      // a worker that dies is restarted in its place; the counts it had reached stay in the totals
      process.kill(killed, 'SIGKILL');
      const replacement = await waitFor(
        () => {
          const lines = served.logs();
          const restartAt = lines.findIndex((l) =>
            /HTTP worker \d exited unexpectedly \(signal SIGKILL\); restarting it/.test(l.msg),
          );
          if (restartAt < 0) return undefined;
          return lines.slice(restartAt).find((l) => l.msg.startsWith('listening on') && !firstPids.includes(l.pid));
        },
        { timeoutMs: 30_000, what: 'the killed worker to be replaced' },
      );
      const after = await metricsText(address);
      expect(series(after, 'churn_http_worker_restarts_total')).toBe(1);
      expect(series(after, 'churn_http_workers')).toBe(2);
      expect(series(after, 'http_requests_total{route="/predict",method="POST",status="200"}')).toBe(200);

      const pids = [survivor, replacement.pid];
      const started = Date.now();
      served.child.kill('SIGTERM');
      const [code] = await served.exited;
      stopped = true;
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(CLOSE_DEADLINE_MS);
      await waitFor(() => pids.every((pid) => !isAlive(pid)) || undefined, {
        timeoutMs: 2_000,
        what: 'every worker to have exited with the primary',
      });
      expect(served.logs().filter((l) => l.msg === 'closed')).toHaveLength(2);
    } finally {
      if (!stopped) served.child.kill('SIGKILL');
    }
  });

  it('HTTP_WORKERS=1 is one process, as serve was before: no primary, no worker metrics', async () => {
    const served = await serve(['--port', '0', '--host', '127.0.0.1'], { HTTP_WORKERS: '1' });
    let code: number | null;
    try {
      const metrics = await metricsText(served.address);
      expect(metrics).toMatch(/^churn_model_info\{name="churn",version="1.0.0"\} 1$/m);
      expect(metrics).not.toMatch(/churn_http_worker|worker="/);
    } finally {
      code = await served.stop();
    }
    expect(code).toBe(0);
    const lines = served
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine & { component?: string });
    expect(new Set(lines.map((l) => l.pid)).size).toBe(1);
    expect(lines.filter((l) => l.component === 'http-primary' || l.worker !== undefined)).toEqual([]);
  });

  it('exits 1 with one line when the workers cannot load the model', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'serve-workers-')), 'no-model');
    const run = await runProcess(LAUNCHER, ['serve', '--workers', '2', '--port', '0', '--model', missing], {
      env: launcherEnv(),
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^churn-scorer: cannot load model: .*no-model/);
  });
});

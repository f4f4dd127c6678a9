/**
 * Section 2: POST /predict of `bin/churn-scorer serve` against the notes' FastAPI service (bench/peers/predict.py
 * under uvicorn, one worker, as the notes run it), same customer, autocannon at fixed concurrency. The two servers
 * take turns at each concurrency level, so they see the same machine load within a few seconds of each other.
 */
import { join } from 'node:path';
import { startProcess, sleep, waitForHttp, type StartedProcess } from '../lib/children.js';
import { freePort } from '../lib/free-port.js';
import { markdownTable, fixed, int, times } from '../lib/markdown-table.js';
import { memorySampler, memorySummary } from '../lib/proc-memory.js';
import { LAUNCHER, launcherNodeFlags } from '../lib/launcher.js';
import { LOGS_DIR, REPO_ROOT } from '../lib/results.js';
import { ratio } from '../lib/stats.js';
import { loadPredict, type LoadResult } from './load.js';
import { NOTES_CUSTOMER } from './notes-customer.js';

export interface HttpBenchOptions {
  connections: readonly number[];
  seconds: number;
  warmupSeconds: number;
  runId: string;
}

interface ServerUnderTest {
  name: 'churn-scorer' | 'fastapi';
  proc: StartedProcess;
  url: string;
}

interface ServerRun extends LoadResult {
  rss_mb: number;
  hwm_mb: number;
}

export interface HttpBenchResult {
  customer: typeof NOTES_CUSTOMER;
  commands: Record<string, string>;
  probabilities: Record<string, number>;
  idle_rss_mb: Record<string, number>;
  levels: { connections: number; churn_scorer: ServerRun; fastapi: ServerRun; rps_ratio: number }[];
}

async function startOurs(runId: string): Promise<ServerUnderTest> {
  const port = await freePort();
  const args = [...launcherNodeFlags(), LAUNCHER, 'serve', '--host', '127.0.0.1', '--port', String(port)];
  const proc = startProcess('churn-scorer serve', process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    logFile: join(LOGS_DIR, `http-churn-scorer-${runId}.log`),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, proc, 60_000);
  return { name: 'churn-scorer', proc, url: `${base}/predict` };
}

async function startFastApi(runId: string): Promise<ServerUnderTest> {
  const port = await freePort();
  // The venv's uvicorn directly (not through `uv run`), so the pid we measure is the server itself.
  const uvicorn = join(REPO_ROOT, 'training', '.venv', 'bin', 'uvicorn');
  const proc = startProcess(
    'uvicorn predict:app',
    uvicorn,
    ['predict:app', '--host', '127.0.0.1', '--port', String(port)],
    {
      cwd: join(REPO_ROOT, 'bench', 'peers'),
      logFile: join(LOGS_DIR, `http-fastapi-${runId}.log`),
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/ping`, proc, 60_000);
  return { name: 'fastapi', proc, url: `${base}/predict` };
}

async function probability(url: string): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(NOTES_CUSTOMER),
  });
  const body = (await res.json()) as { churn_probability?: number };
  if (!res.ok || typeof body.churn_probability !== 'number') {
    throw new Error(`${url} answered ${res.status} ${JSON.stringify(body)} to the notes' customer`);
  }
  return body.churn_probability;
}

async function measure(
  server: ServerUnderTest,
  body: string,
  connections: number,
  options: HttpBenchOptions,
): Promise<ServerRun> {
  await loadPredict(server.url, body, connections, options.warmupSeconds);
  const sampler = memorySampler(server.proc.pid, 250);
  const load = await loadPredict(server.url, body, connections, options.seconds);
  const memory = memorySummary(sampler.stop());
  return { ...load, rss_mb: memory.rss_max_mb, hwm_mb: memory.hwm_mb };
}

export async function runHttpBench(options: HttpBenchOptions): Promise<HttpBenchResult> {
  const body = JSON.stringify(NOTES_CUSTOMER);
  const servers: ServerUnderTest[] = [];
  try {
    servers.push(await startOurs(options.runId));
    servers.push(await startFastApi(options.runId));
    const [ours, peer] = servers as [ServerUnderTest, ServerUnderTest];
    const probabilities = { 'churn-scorer': await probability(ours.url), fastapi: await probability(peer.url) };
    if (Math.abs(probabilities['churn-scorer'] - probabilities.fastapi) > 1e-9) {
      throw new Error(`the two services disagree on the notes' customer: ${JSON.stringify(probabilities)}`);
    }
    const idle = {
      'churn-scorer': memorySummary(memorySampler(ours.proc.pid).stop()).rss_last_mb,
      fastapi: memorySummary(memorySampler(peer.proc.pid).stop()).rss_last_mb,
    };
    const levels: HttpBenchResult['levels'] = [];
    for (const connections of options.connections) {
      const a = await measure(ours, body, connections, options);
      await sleep(500);
      const b = await measure(peer, body, connections, options);
      await sleep(500);
      levels.push({
        connections,
        churn_scorer: a,
        fastapi: b,
        rps_ratio: ratio(a.requests_per_second, b.requests_per_second),
      });
      process.stderr.write(
        `bench http: c=${connections}: churn-scorer ${int(a.requests_per_second)} req/s p99 ${fixed(a.latency_ms.p99, 2)} ms; ` +
          `fastapi ${int(b.requests_per_second)} req/s p99 ${fixed(b.latency_ms.p99, 2)} ms\n`,
      );
    }
    return {
      customer: NOTES_CUSTOMER,
      commands: {
        'churn-scorer': `LOG_LEVEL=warn bin/churn-scorer serve --host 127.0.0.1 --port <port>`,
        fastapi: `cd bench/peers && ../../training/.venv/bin/uvicorn predict:app --host 127.0.0.1 --port <port>`,
        load: `autocannon -m POST -H content-type=application/json -b <notes customer> -c <connections> -d ${options.seconds} <url>/predict (API, in the bench process; ${options.warmupSeconds} s warm-up first)`,
      },
      probabilities,
      idle_rss_mb: idle,
      levels,
    };
  } finally {
    await Promise.allSettled(servers.map((s) => s.proc.stop(5_000)));
  }
}

export function httpTable(result: HttpBenchResult): string {
  const rows = result.levels.map((l) => [
    String(l.connections),
    int(l.churn_scorer.requests_per_second),
    `${fixed(l.churn_scorer.latency_ms.p50, 2)} / ${fixed(l.churn_scorer.latency_ms.p99, 2)}`,
    `${fixed(l.churn_scorer.rss_mb, 0)} (${fixed(l.churn_scorer.hwm_mb, 0)})`,
    int(l.fastapi.requests_per_second),
    `${fixed(l.fastapi.latency_ms.p50, 2)} / ${fixed(l.fastapi.latency_ms.p99, 2)}`,
    `${fixed(l.fastapi.rss_mb, 0)} (${fixed(l.fastapi.hwm_mb, 0)})`,
    times(l.rps_ratio),
  ]);
  return markdownTable(
    [
      'connections',
      'churn-scorer req/s',
      'p50 / p99 ms',
      'RSS MB (peak)',
      'FastAPI req/s',
      'p50 / p99 ms',
      'RSS MB (peak)',
      'req/s ratio',
    ],
    rows,
  );
}

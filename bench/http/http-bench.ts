/**
 * Section 2: POST /predict of `bin/churn-scorer serve` against the notes' FastAPI service (bench/peers/predict.py
 * under uvicorn, one worker, as the notes run it), same customer, autocannon at fixed concurrency. The two servers
 * take turns at each concurrency level, so they see the same machine load within a few seconds of each other.
 * Then (issue 14) `serve --workers 1` and `--workers N` beside FastAPI at 32 connections with wrk and autocannon,
 * the load generator pinned to the last core with taskset when the machine has more than one.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { startProcess, sleep, waitForHttp, type StartedProcess } from '../lib/children.js';
import { freePort } from '../lib/free-port.js';
import { markdownTable, fixed, int, times } from '../lib/markdown-table.js';
import { memorySampler, memorySummary, readMemory } from '../lib/proc-memory.js';
import { LAUNCHER, launcherNodeFlags } from '../lib/launcher.js';
import { LOGS_DIR, REPO_ROOT } from '../lib/results.js';
import { ratio } from '../lib/stats.js';
import { loadPredict, type LoadResult } from './load.js';
import { NOTES_CUSTOMER } from './notes-customer.js';
import { pinnedToCpu, tasksetAvailable, wrkAvailable, wrkPredict } from './wrk-load.js';

export interface HttpBenchOptions {
  connections: readonly number[];
  seconds: number;
  warmupSeconds: number;
  runId: string;
  /** the pinned comparison: `serve --workers` counts (each beside `--workers 1` and FastAPI) at one concurrency */
  pinned?: { connections: number; workers: readonly number[] };
}

interface ServerUnderTest {
  name: 'churn-scorer' | 'fastapi';
  /** `serve --workers N`; null for FastAPI (uvicorn, one worker) */
  workers: number | null;
  proc: StartedProcess;
  url: string;
}

/** One server and one load generator of the pinned comparison. */
export interface PinnedRun extends LoadResult {
  server: string;
  tool: 'wrk' | 'autocannon';
  /** VmRSS of the server's processes (a cluster's primary and workers) summed, max over the run */
  rss_mb: number;
}

export interface PinnedResult {
  connections: number;
  /** the core wrk and autocannon were pinned to; null: not pinned (one core, or no taskset) */
  load_cpu: number | null;
  cpus: number;
  load_average_before: number[];
  load_average_after: number[];
  /** why wrk rows are missing, when they are */
  note?: string;
  runs: PinnedRun[];
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
  pinned?: PinnedResult;
}

async function startOurs(runId: string, workers: number): Promise<ServerUnderTest> {
  const port = await freePort();
  const args = [
    ...launcherNodeFlags(),
    LAUNCHER,
    'serve',
    '--workers',
    String(workers),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ];
  const proc = startProcess(`churn-scorer serve --workers ${workers}`, process.execPath, args, {
    cwd: REPO_ROOT,
    // info (no line per request either way): the primary's 'all N HTTP workers listening' line is awaited below
    env: { ...process.env, LOG_LEVEL: workers === 1 ? 'warn' : 'info' },
    ...(workers === 1
      ? { logFile: join(LOGS_DIR, `http-churn-scorer-${runId}.log`) }
      : { captureStdout: true, logFile: join(LOGS_DIR, `http-churn-scorer-w${workers}-${runId}.log`) }),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, proc, 60_000);
  // Connections made before a worker listens all go to the others, and keep-alive keeps them there.
  const deadline = Date.now() + 60_000;
  while (workers > 1 && !proc.output().includes(`"msg":"all ${workers} HTTP workers listening`)) {
    if (Date.now() > deadline) throw new Error(`serve --workers ${workers}: not every worker listened within 60 s`);
    await sleep(100);
  }
  return { name: 'churn-scorer', workers, proc, url: `${base}/predict` };
}

/** VmRSS of a process and its children (a cluster's primary and workers), summed. */
function treeRssMb(pid: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // no such process (any more)
  }
  return [pid, ...children].reduce((sum, p) => sum + (readMemory(p)?.rss_mb ?? 0), 0);
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
  return { name: 'fastapi', workers: null, proc, url: `${base}/predict` };
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
    servers.push(await startOurs(options.runId, 1));
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
    const pinned =
      options.pinned === undefined ? undefined : await runPinned(ours, peer, body, options, options.pinned, servers);
    return {
      customer: NOTES_CUSTOMER,
      commands: {
        'churn-scorer': `LOG_LEVEL=warn bin/churn-scorer serve --workers 1 --host 127.0.0.1 --port <port>`,
        ...(options.pinned === undefined
          ? {}
          : {
              'churn-scorer --workers N': `bin/churn-scorer serve --workers N --host 127.0.0.1 --port <port> (N = ${options.pinned.workers.join(', ')})`,
              wrk: `[taskset -c <last core>] wrk -t1 -c${options.pinned.connections} -d${options.seconds}s --timeout 10s -s <POST the notes customer, JSON summary> <url>/predict (${options.warmupSeconds} s warm-up first)`,
            }),
        fastapi: `cd bench/peers && ../../training/.venv/bin/uvicorn predict:app --host 127.0.0.1 --port <port>`,
        load: `autocannon -m POST -H content-type=application/json -b <notes customer> -c <connections> -d ${options.seconds} <url>/predict (API, in the bench process; ${options.warmupSeconds} s warm-up first)`,
      },
      probabilities,
      idle_rss_mb: idle,
      levels,
      ...(pinned === undefined ? {} : { pinned }),
    };
  } finally {
    await Promise.allSettled(servers.map((s) => s.proc.stop(5_000)));
  }
}

/**
 * The pinned comparison: each server in turn (serve --workers 1, --workers N..., FastAPI), each measured with wrk
 * then autocannon, a warm-up before each, the load generator pinned to the last core.
 */
async function runPinned(
  ours: ServerUnderTest,
  peer: ServerUnderTest,
  body: string,
  options: HttpBenchOptions,
  pinned: NonNullable<HttpBenchOptions['pinned']>,
  servers: ServerUnderTest[],
): Promise<PinnedResult> {
  const cpus = availableParallelism();
  const loadCpu = cpus > 1 && tasksetAvailable() ? cpus - 1 : null;
  const withWrk = wrkAvailable();
  const result: PinnedResult = {
    connections: pinned.connections,
    load_cpu: loadCpu,
    cpus,
    load_average_before: loadavg().map((l) => Math.round(l * 100) / 100),
    load_average_after: [],
    ...(withWrk ? {} : { note: 'wrk is not installed (bash scripts/bench/http-tools.sh installs it)' }),
    runs: [],
  };
  const { connections } = pinned;
  const measureWith = async (server: ServerUnderTest, label: string): Promise<void> => {
    const tools = withWrk ? (['wrk', 'autocannon'] as const) : (['autocannon'] as const);
    for (const tool of tools) {
      const load = (seconds: number) =>
        tool === 'wrk'
          ? wrkPredict(server.url, body, connections, seconds, loadCpu)
          : pinnedToCpu(loadCpu, () => loadPredict(server.url, body, connections, seconds));
      await load(options.warmupSeconds);
      let rss = 0;
      const timer = setInterval(() => (rss = Math.max(rss, treeRssMb(server.proc.pid))), 250);
      const run = await load(options.seconds);
      clearInterval(timer);
      rss = Math.max(rss, treeRssMb(server.proc.pid));
      result.runs.push({ ...run, server: label, tool, rss_mb: rss });
      process.stderr.write(
        `bench http pinned: ${label} ${tool} c=${connections}: ${int(run.requests_per_second)} req/s ` +
          `p99 ${fixed(run.latency_ms.p99, 2)} ms\n`,
      );
      await sleep(500);
    }
  };
  await measureWith(ours, 'churn-scorer --workers 1');
  for (const workers of pinned.workers.filter((w) => w !== 1)) {
    const many = await startOurs(options.runId, workers);
    servers.push(many);
    try {
      await measureWith(many, `churn-scorer --workers ${workers}`);
    } finally {
      await many.proc.stop(15_000);
    }
  }
  await measureWith(peer, 'FastAPI (uvicorn, 1 worker)');
  result.load_average_after = loadavg().map((l) => Math.round(l * 100) / 100);
  return result;
}

/** The pinned comparison as a table: req/s, p50/p90/p99/max, RSS, and req/s over FastAPI's with the same tool. */
export function pinnedTable(pinned: PinnedResult): string {
  const fastapi = (tool: string) =>
    pinned.runs.find((r) => r.tool === tool && r.server.startsWith('FastAPI'))?.requests_per_second ?? NaN;
  const rows = pinned.runs.map((r) => [
    r.server,
    r.tool,
    int(r.requests_per_second),
    `${fixed(r.latency_ms.p50, 2)} / ${fixed(r.latency_ms.p90, 2)} / ${fixed(r.latency_ms.p99, 2)} / ${fixed(r.latency_ms.max, 1)}`,
    String(r.errors + r.timeouts + r.non_2xx),
    fixed(r.rss_mb, 0),
    times(ratio(r.requests_per_second, fastapi(r.tool))),
  ]);
  const pin =
    pinned.load_cpu === null
      ? 'the load generator not pinned'
      : `the load generator pinned to CPU ${pinned.load_cpu} (taskset; the servers may use every core)`;
  return (
    `${pinned.connections} connections, ${pinned.cpus} cores, ${pin}; load average (1/5/15 min) before ` +
    `${pinned.load_average_before.join(' ')}, after ${pinned.load_average_after.join(' ')}.` +
    (pinned.note === undefined ? '' : ` ${pinned.note}.`) +
    '\n\n' +
    markdownTable(
      [
        'server',
        'load generator',
        'req/s',
        'p50 / p90 / p99 / max ms',
        'errors',
        'RSS MB (all processes)',
        'vs FastAPI',
      ],
      rows,
    )
  );
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
  const levels = markdownTable(
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
  if (result.pinned === undefined) return levels;
  return `${levels}\n\n### wrk beside autocannon, \`serve --workers N\` (issue 14)\n\n${pinnedTable(result.pinned)}`;
}

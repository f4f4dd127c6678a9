/**
 * One fixed-concurrency wrk run against POST /predict (issue 14: a C load generator beside autocannon, which shares
 * the machine's cores with the server it measures), pinned to one core with taskset where there is one to spare.
 * Percentiles come from wrk's own latency histogram (microsecond resolution), written by a Lua `done` hook.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToCompletion } from '../lib/children.js';
import type { LoadResult } from './load.js';

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const wrkAvailable = (): boolean => onPath('wrk');
export const tasksetAvailable = (): boolean => onPath('taskset');

/** The Lua script: POST `body` as JSON, and print the summary as one JSON line prefixed WRK_JSON. */
function script(body: string): string {
  const lua = `
wrk.method = "POST"
wrk.body = ${JSON.stringify(body)}
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%f,"socket_errors":%d,"non_2xx":%d,"timeouts":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect + e.read + e.write, e.status, e.timeout))
end
`;
  const dir = mkdtempSync(join(tmpdir(), 'churn-wrk-'));
  const file = join(dir, 'post.lua');
  writeFileSync(file, lua);
  return file;
}

interface WrkSummary {
  requests: number;
  duration_us: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  socket_errors: number;
  non_2xx: number;
  timeouts: number;
}

/**
 * `[taskset -c <cpu>] wrk -t1 -c<connections> -d<seconds>s` POSTing `body` to `url`. One wrk thread: it is pinned
 * to one core, and one thread keeps 32 connections busy at the rates measured here.
 */
export async function wrkPredict(
  url: string,
  body: string,
  connections: number,
  seconds: number,
  cpu: number | null,
): Promise<LoadResult> {
  const wrk = ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script(body), url];
  const [command, ...args] = cpu === null ? wrk : ['taskset', '-c', String(cpu), ...wrk];
  const output = await runToCompletion(`wrk c=${connections}`, command as string, args, {
    timeoutMs: (seconds + 30) * 1000,
  });
  const line = /^WRK_JSON (.*)$/m.exec(output)?.[1];
  if (line === undefined) throw new Error(`wrk printed no summary:\n${output}`);
  const s = JSON.parse(line) as WrkSummary;
  const ok = s.requests - s.non_2xx;
  const duration = s.duration_us / 1e6;
  return {
    connections,
    seconds: duration,
    requests: ok,
    requests_per_second: ok / duration,
    latency_ms: { p50: s.p50 / 1000, p90: s.p90 / 1000, p99: s.p99 / 1000, max: s.max / 1000, mean: s.mean / 1000 },
    errors: s.socket_errors,
    timeouts: s.timeouts,
    non_2xx: s.non_2xx,
  };
}

/** The CPU affinity list of a process (`taskset -pc`), e.g. "0,1" or "0-3". */
function affinityOf(pid: number): string {
  const out = execFileSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' });
  const list = /affinity list:\s*(\S+)/.exec(out)?.[1];
  if (list === undefined) throw new Error(`cannot read the CPU affinity of ${pid}: ${out}`);
  return list;
}

/**
 * Runs `measure` with every thread of this process (autocannon runs inside it) pinned to `cpu`, then puts the
 * previous affinity back. Without a core to pin (`cpu` null), just runs it.
 */
export async function pinnedToCpu<T>(cpu: number | null, measure: () => Promise<T>): Promise<T> {
  if (cpu === null) return measure();
  const before = affinityOf(process.pid);
  execFileSync('taskset', ['-a', '-pc', String(cpu), String(process.pid)], { stdio: 'ignore' });
  try {
    return await measure();
  } finally {
    execFileSync('taskset', ['-a', '-pc', before, String(process.pid)], { stdio: 'ignore' });
  }
}

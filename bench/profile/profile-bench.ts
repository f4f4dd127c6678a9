/**
 * Section 6: CPU profiles (node --cpu-prof) of the stream worker during a drain of pre-produced events, and of
 * `serve` under autocannon at 32 connections; each summarized into self time by function and by area, plus a
 * .folded file for a flame graph. Profiling slows the process down, so these runs are not the measured ones.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitForHttp } from '../lib/children.js';
import { freePort } from '../lib/free-port.js';
import { LAUNCHER, launcherNodeFlags } from '../lib/launcher.js';
import { LOGS_DIR, REPO_ROOT, RESULTS_DIR } from '../lib/results.js';
import { loadPredict } from '../http/load.js';
import { NOTES_CUSTOMER } from '../http/notes-customer.js';
import type { StreamContext } from '../stream/context.js';
import { workerThroughput } from '../stream/throughput.js';
import { foldedStacks, steadyState, summarize, type CpuProfile, type ProfileSummary } from './cpuprofile.js';

export interface ProfiledRun {
  profile: string;
  folded: string;
  summary: ProfileSummary;
  note: string;
}

function summarizeDir(dir: string, name: string, note: string, marker: (url: string) => boolean): ProfiledRun {
  // One file per thread (a loader such as tsx runs its hooks in a thread of its own): take the thread that ran the hot path.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const loaded = files.map((f) => ({ file: f, profile: JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile }));
  const hot = loaded.filter((l) => l.profile.nodes.some((n) => marker(n.callFrame.url))).at(-1);
  if (!hot)
    throw new Error(
      `no .cpuprofile in ${dir} has the hot path's code (did the process exit cleanly?): ${files.join(', ')}`,
    );
  const { file, profile: whole } = hot;
  const profile = steadyState(whole, (frame) => marker(frame.url));
  const folded = join(dir, `${name}.folded`);
  writeFileSync(folded, foldedStacks(profile));
  return {
    profile: join(dir, file).replace(`${REPO_ROOT}/`, ''),
    folded: folded.replace(`${REPO_ROOT}/`, ''),
    summary: summarize(profile),
    note,
  };
}

/** `program`: another worker (bench/clients); default `bin/churn-scorer run`. */
export async function profileWorker(
  ctx: StreamContext,
  events: number,
  runId: string,
  worker: { label: string; program?: readonly string[] } = { label: 'worker' },
): Promise<ProfiledRun & { events_per_second: number }> {
  const dir = join(RESULTS_DIR, 'profiles', `${worker.label}-${runId}`);
  mkdirSync(dir, { recursive: true });
  const run = await workerThroughput(ctx, {
    label: `profile-${worker.label}`,
    partitions: 3,
    workers: 1,
    events,
    verify: false,
    nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir],
    ...(worker.program ? { program: worker.program } : {}),
  });
  return {
    // dist/ for `run`, src/ for a worker run through tsx
    ...summarizeDir(
      dir,
      worker.label,
      `${worker.label} draining ${events} pre-produced events, 3 partitions, exactly-once`,
      (url) => /\/(dist|src)\/stream\/pipeline/.test(url),
    ),
    events_per_second: run.events_per_second,
  };
}

export async function profileServe(
  seconds: number,
  runId: string,
): Promise<ProfiledRun & { requests_per_second: number }> {
  const dir = join(RESULTS_DIR, 'profiles', `serve-${runId}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const proc = startProcess(
    'serve --cpu-prof',
    process.execPath,
    [
      ...launcherNodeFlags(),
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      LAUNCHER,
      'serve',
      // one process: the profile is of the request path, not of N workers and their primary
      '--workers',
      '1',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      logFile: join(LOGS_DIR, `profile-serve-${runId}.log`),
    },
  );
  let rps: number;
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc, 60_000);
    const load = await loadPredict(`http://127.0.0.1:${port}/predict`, JSON.stringify(NOTES_CUSTOMER), 32, seconds);
    rps = load.requests_per_second;
  } finally {
    await proc.stop(15_000);
  }
  return {
    ...summarizeDir(dir, 'serve', `serve under autocannon, 32 connections, ${seconds} s`, (url) =>
      url.includes('/dist/model/'),
    ),
    requests_per_second: rps,
  };
}

/** Resident memory of a process from /proc/<pid>/status (Linux): VmRSS now, VmHWM the peak so far. */
import { readFileSync } from 'node:fs';
import { maxOf } from './stats.js';

export interface MemorySample {
  /** ms since the sampler started */
  t: number;
  rss_mb: number;
  hwm_mb: number;
}

export function readMemory(pid: number): { rss_mb: number; hwm_mb: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss_mb: kb('VmRSS') / 1024, hwm_mb: kb('VmHWM') / 1024 };
}

/** Samples a process's memory every intervalMs until stopped. */
export function memorySampler(pid: number, intervalMs = 250) {
  const samples: MemorySample[] = [];
  const started = Date.now();
  const take = () => {
    const m = readMemory(pid);
    if (m) samples.push({ t: Date.now() - started, ...m });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    stop(): MemorySample[] {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

export function memorySummary(samples: readonly MemorySample[]) {
  const rss = samples.map((s) => s.rss_mb);
  const last = samples.at(-1);
  return {
    samples: samples.length,
    rss_max_mb: rss.length ? maxOf(rss) : NaN,
    rss_last_mb: last?.rss_mb ?? NaN,
    hwm_mb: last?.hwm_mb ?? NaN,
  };
}

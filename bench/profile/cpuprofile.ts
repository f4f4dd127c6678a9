/**
 * Aggregates a V8 .cpuprofile (node --cpu-prof) into self time per function and per area of the code, and into
 * collapsed stacks for a flame graph (flamegraph.pl / speedscope read the .folded file). Pure: profile in, numbers out.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionSelfTime {
  function: string;
  location: string;
  area: string;
  self_ms: number;
  self_pct: number;
  /** share of the non-idle time */
  busy_pct: number;
}

export interface ProfileSummary {
  total_ms: number;
  idle_ms: number;
  busy_ms: number;
  top_functions: FunctionSelfTime[];
  areas: { area: string; self_ms: number; busy_pct: number }[];
}

/** Where a frame's code lives, in the terms the report uses. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] as string;
  const src = /\/(?:dist|src)\/([^/]+)\//.exec(url);
  if (src) return `churn-scorer ${src[1]}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/')[0]}`;
  if (url === '') return 'native/builtin';
  return 'other';
}

function location(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  const short = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/');
  return url ? `${short}:${frame.lineNumber + 1}` : '';
}

export function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  return self;
}

export function summarize(profile: CpuProfile, top = 25): ProfileSummary {
  const self = selfTimes(profile);
  const byFunction = new Map<string, { frame: CallFrame; ms: number }>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0) continue;
    total += ms;
    const area = areaOf(node.callFrame);
    if (area === 'idle') idle += ms;
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    const key = `${node.callFrame.functionName || '(anonymous)'}@${location(node.callFrame)}`;
    const entry = byFunction.get(key) ?? { frame: node.callFrame, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
  }
  const busy = total - idle;
  const top_functions = [...byFunction.values()]
    .filter((e) => areaOf(e.frame) !== 'idle')
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((e) => ({
      function: e.frame.functionName || '(anonymous)',
      location: location(e.frame),
      area: areaOf(e.frame),
      self_ms: e.ms,
      self_pct: (100 * e.ms) / total,
      busy_pct: (100 * e.ms) / busy,
    }));
  const areas = [...byArea.entries()]
    .filter(([area]) => area !== 'idle')
    .sort((a, b) => b[1] - a[1])
    .map(([area, ms]) => ({ area, self_ms: ms, busy_pct: (100 * ms) / busy }));
  return { total_ms: total, idle_ms: idle, busy_ms: busy, top_functions, areas };
}

/** Collapsed stacks ("root;caller;callee <ms>") for flame graph tools. */
export function foldedStacks(profile: CpuProfile): string {
  const self = selfTimes(profile);
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const lines: string[] = [];
  for (const [id, ms] of self) {
    const names: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (frame && frame.functionName !== '(root)')
        names.push(`${frame.functionName || '(anonymous)'} ${areaOf(frame)}`.replace(/;/g, ','));
    }
    const us = Math.round(ms * 1000);
    if (us > 0) lines.push(`${names.reverse().join(';')} ${us}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The part of a profile between the first and the last sample whose stack passes through a marker frame (e.g.
 * the stream pipeline), so start-up (module loading, compilation) and shutdown do not drown the steady state.
 */
export function steadyState(profile: CpuProfile, isMarker: (frame: CallFrame) => boolean): CpuProfile {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const marked = new Map<number, boolean>();
  const isMarked = (id: number): boolean => {
    const known = marked.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const result = node !== undefined && (isMarker(node.callFrame) || (up !== undefined && isMarked(up)));
    marked.set(id, result);
    return result;
  };
  let first = -1;
  let last = -1;
  profile.samples.forEach((id, i) => {
    if (isMarked(id)) {
      if (first < 0) first = i;
      last = i;
    }
  });
  if (first < 0) return profile;
  return {
    ...profile,
    samples: profile.samples.slice(first, last + 1),
    timeDeltas: profile.timeDeltas.slice(first, last + 1),
  };
}

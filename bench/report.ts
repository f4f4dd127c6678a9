/** The markdown summary of one `npm run bench` run: every table with its ratios, and the targets of issue 5. */
import { httpTable, type HttpBenchResult } from './http/http-bench.js';
import { fixed, int, markdownTable, times } from './lib/markdown-table.js';
import { maxOf, ratio } from './lib/stats.js';
import type { ProfiledRun } from './profile/profile-bench.js';
import type { ScoreResult } from './score-section.js';
import type { BenchSizes } from './sizes.js';
import { KAFKA_CLIENTS } from './clients/kafka-clients.js';
import type { CeilingResult } from './stream/ceiling.js';
import { featureCostTable, type FeatureCostResult } from './stream/feature-cost.js';
import type { ColdStartResult } from './stream/cold-start.js';
import type { LatencyResult } from './stream/latency.js';
import { peersTable, type PeersResult } from './stream/peer-bench.js';
import type { PythonLoopResult, WorkerThroughput } from './stream/throughput.js';

export interface BenchReport {
  run: string;
  quick: boolean;
  sizes: BenchSizes;
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  load: {
    before: number[];
    after_http?: number[];
    after_features?: number[];
    after_peers?: number[];
    after?: number[];
  };
  worker_node_flags: string[];
  /** V8 flags of bin/churn-scorer's shebang, given to every serve/worker process the bench starts */
  launcher_node_flags: string[];
  stack?: { brokers: string; registry: string; started_here: boolean };
  score?: ScoreResult;
  http?: HttpBenchResult;
  stream?: WorkerThroughput;
  /** issue 12: the worker with the per-prediction reasons and the drift windows on and off */
  features?: FeatureCostResult;
  python?: PythonLoopResult[];
  ceiling?: CeilingResult;
  latency?: LatencyResult;
  coldstart?: ColdStartResult[];
  /** the regression guard's lines: this run's ratios against the published runs' (bench/regression-guard.ts) */
  regression_guard?: string[];
  scaling?: WorkerThroughput[];
  /** the same data path over each Kafka client (bench/clients) */
  clients?: WorkerThroughput[];
  clients_profile?: ProfiledRun & { events_per_second: number };
  /** issue 14: the worker beside the Kafka Streams peer (bench/peers/kafka-streams) */
  peers?: PeersResult;
  profile?: {
    worker?: ProfiledRun & { events_per_second: number };
    serve?: ProfiledRun & { requests_per_second: number };
  };
  errors?: Record<string, string>;
  seconds?: number;
}

const pct = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)}%` : 'n/a');
const met = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

function scoreSection(s: ScoreResult): string {
  const py = s.sklearn;
  const rows = [
    [
      'single record, validate + score',
      s.typescript.single_validate_score.scores_per_second,
      py?.single.scores_per_second,
    ],
    ['single record, score only', s.typescript.single_score_only.scores_per_second, py?.single.scores_per_second],
    [`batch of ${s.rows}`, s.typescript.batch.scores_per_second, py?.batch.scores_per_second],
  ] as const;
  return (
    markdownTable(
      ['mode', 'TypeScript scores/s', 'scikit-learn scores/s', 'ratio'],
      rows.map(([m, t, p]) => [m, int(t), int(p ?? NaN), times(ratio(t, p ?? NaN))]),
    ) +
    `\n\nParity: max |TS - sklearn| = ${s.parity_max_abs_diff.toExponential(2)} over ${s.rows} rows. Raw: \`${s.file}\`.`
  );
}

function streamSection(r: BenchReport): string {
  const eosSingle = r.python?.find((p) => p.delivery === 'exactly-once' && p.scoring === 'single');
  const ceiling = r.ceiling?.pipeline_ceiling_events_per_second ?? NaN;
  const rows: string[][] = [];
  if (r.stream) {
    const w = r.stream;
    rows.push([
      `churn-scorer worker, exactly-once (1 worker, ${w.partitions} partitions)`,
      int(w.events),
      int(w.events_per_second),
      times(ratio(w.events_per_second, eosSingle?.events_per_second ?? NaN)),
      pct(100 * ratio(w.events_per_second, ceiling)),
      fixed(maxOf(w.memory.map((m) => m.rss_max_mb)), 0),
    ]);
  }
  for (const p of r.python ?? []) {
    rows.push([
      `Python loop, ${p.delivery}, predict_proba ${p.scoring === 'single' ? 'per record' : 'per polled batch'}`,
      int(p.events),
      int(p.events_per_second),
      times(ratio(p.events_per_second, eosSingle?.events_per_second ?? NaN)),
      pct(100 * ratio(p.events_per_second, ceiling)),
      fixed(p.peak_rss_mb, 0),
    ]);
  }
  if (r.ceiling) {
    const c = r.ceiling;
    rows.push([
      `Kafka ProducerPerformance, acks=all, ${c.record_size} B records`,
      int(c.records),
      int(c.producer.records_per_second),
      '',
      '',
      '',
    ]);
    rows.push([
      `Kafka ProducerPerformance, transactional (100 ms transactions)`,
      int(c.records),
      int(c.producer_transactional.records_per_second),
      '',
      '',
      '',
    ]);
    rows.push([
      `Kafka ConsumerPerformance (fetch rate)`,
      int(c.consumer.records),
      int(c.consumer.records_per_second),
      '',
      '',
      '',
    ]);
  }
  let out = markdownTable(
    ['implementation', 'events', 'events/s', 'vs Python EOS per-record', 'of broker ceiling', 'peak RSS MB'],
    rows,
  );
  if (r.ceiling)
    out += `\n\nBroker ceiling for a consume -> produce pipeline = min(transactional produce, consume) = ${int(ceiling)} records/s.`;
  if (r.stream) {
    out += `\nDuring the worker's peak window it used ${fixed(
      r.stream.worker_cpu_cores.reduce((a, b) => a + b, 0),
      2,
    )} cores; the machine (${String(r.machine['cores'])} cores, every process) was ${fixed(100 * r.stream.machine_cpu_busy, 0)}% busy.`;
  }
  if (r.stream?.verified) {
    const v = r.stream.verified;
    out += `\nExactly-once check (read_committed reader after the run): ${int(v.predictions)} predictions for ${int(r.stream.events)} events, ${v.duplicates} duplicates, ${v.missing} missing.`;
  }
  return out;
}

function coldStartSection(runs: readonly ColdStartResult[]): string {
  const seconds = Math.max(0, ...runs.map((c) => c.per_second.length));
  const rows: string[][] = [];
  for (let s = 0; s < seconds; s++) {
    rows.push([
      String(s),
      ...runs.map((c) => {
        const at = c.per_second[s];
        return at === undefined ? 'n/a' : `${fixed(at.p50_ms, 0)} / ${fixed(at.p99_ms, 0)} / ${fixed(at.max_ms, 0)}`;
      }),
    ]);
  }
  const summary = runs.map(
    (c) =>
      `- ${c.variant} (\`${Object.entries(c.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(
          ' ',
        )}\`): /readyz 200 after ${int(c.ready_after_ms)} ms; first 5 s p50 ${fixed(c.first_5s.p50_ms, 0)} / p99 ${fixed(c.first_5s.p99_ms, 0)} / max ${fixed(c.first_5s.max_ms, 0)} ms; after 10 s p50 ${fixed(c.after_10s.p50_ms, 0)} / p99 ${fixed(c.after_10s.p99_ms, 0)} ms; p99 <= ${c.settle_bound_ms} ms in every second from second ${c.settled_after_s ?? 'never'} on; delivered ${int(c.delivered)} / ${int(c.events)}; RSS max ${fixed(c.rss_mb_max, 0)} MB.`,
  );
  const rate = runs[0]?.offered_rate ?? NaN;
  return (
    markdownTable(['second after /readyz', ...runs.map((c) => `${c.variant}: p50 / p99 / max ms`)], rows) +
    `\n\n${int(rate)} events/s offered by a rate-limited producer from the moment /readyz answered 200, on a fresh topic set (${runs[0]?.partitions ?? '?'} partitions), no warm-up by the bench; latency = event_time -> visible to a read_committed reader, by the second the event was sent in.\n\n${summary.join('\n')}`
  );
}

function latencySection(l: LatencyResult): string {
  const rows = l.phases.map((p) => [
    `${Math.round(p.fraction_of_peak * 100)}%`,
    int(p.offered_rate),
    int(p.achieved_rate),
    `${int(p.delivered)} / ${int(p.events)}`,
    fixed(p.latency_ms.p50, 0),
    fixed(p.latency_ms.p99, 0),
    fixed(p.latency_ms.max, 0),
    `${fixed(p.rss_mb.median, 0)} / ${fixed(p.rss_mb.max, 0)}`,
  ]);
  return (
    markdownTable(
      [
        'offered (of peak)',
        'offered events/s',
        'achieved events/s',
        'delivered',
        'p50 ms',
        'p99 ms',
        'max ms',
        'worker RSS MB median / max',
      ],
      rows,
    ) +
    `\n\nPeak used: ${int(l.peak_events_per_second)} events/s (section 3). Latency = prediction visible to a read_committed consumer - event_time (set when the event is sent).`
  );
}

function memorySection(r: BenchReport): string {
  const b = r.latency?.burst;
  const rows: string[][] = [];
  if (r.stream)
    rows.push([
      'draining the backlog at peak (section 3)',
      fixed(maxOf(r.stream.memory.map((m) => m.rss_max_mb)), 0),
      fixed(maxOf(r.stream.memory.map((m) => m.hwm_mb)), 0),
    ]);
  for (const p of r.latency?.phases ?? [])
    rows.push([
      `steady at ${Math.round(p.fraction_of_peak * 100)}% of peak`,
      `${fixed(p.rss_mb.median, 0)} (max ${fixed(p.rss_mb.max, 0)})`,
      '',
    ]);
  if (b) {
    rows.push([
      `burst: ${int(b.base_rate)}/s -> ${int(b.burst_rate_offered)}/s offered (${int(b.burst_rate_achieved)}/s achieved) for ${b.seconds.burst} s -> ${int(b.base_rate)}/s`,
      `before ${fixed(b.rss_mb.steady_before, 0)}, max ${fixed(b.rss_mb.max, 0)}, after ${fixed(b.rss_mb.after, 0)}`,
      fixed(b.rss_mb.hwm, 0),
    ]);
  }
  let out = markdownTable(['phase', 'worker RSS MB', 'VmHWM MB'], rows);
  if (b)
    out += `\n\nBurst: ${int(b.delivered)} / ${int(b.events)} predictions delivered; backlog drained ${fixed(b.drain_seconds_after_burst, 1)} s after the burst ended; p99 latency of the burst's events ${fixed(b.latency_ms_p99_during_burst_events, 0)} ms.`;
  return out;
}

function scalingSection(runs: WorkerThroughput[]): string {
  const base = runs[0]?.events_per_second ?? NaN;
  return markdownTable(
    [
      'partitions = workers',
      'events',
      'events/s',
      'speed-up vs 1',
      'worker CPU (cores, sum)',
      'machine CPU busy',
      'RSS MB per worker (max)',
    ],
    runs.map((s) => [
      String(s.partitions),
      int(s.events),
      int(s.events_per_second),
      times(ratio(s.events_per_second, base), 2),
      fixed(
        s.worker_cpu_cores.reduce((a, b) => a + b, 0),
        2,
      ),
      `${fixed(100 * s.machine_cpu_busy, 0)}%`,
      s.memory.map((m) => fixed(m.rss_max_mb, 0)).join(', '),
    ]),
  );
}

function clientsSection(runs: WorkerThroughput[], ceiling: number | undefined, benchNode: string): string {
  const base = runs.find((s) => s.label === 'client-kafkajs')?.events_per_second ?? NaN;
  const names = new Map(KAFKA_CLIENTS.map((c) => [c.label, c.client]));
  const otherNode = KAFKA_CLIENTS.filter((c) => c.nodeVersion !== undefined && runs.some((s) => s.label === c.label));
  const table = markdownTable(
    [
      'client',
      'events',
      'events/s',
      'vs kafkajs',
      'of broker ceiling',
      'worker CPU (cores)',
      'events per CPU-second',
      'RSS MB (max)',
      'exactly-once check',
    ],
    runs.map((s) => {
      const cores = s.worker_cpu_cores.reduce((a, b) => a + b, 0);
      const v = s.verified;
      return [
        names.get(s.label) ?? s.label,
        int(s.events),
        int(s.events_per_second),
        times(ratio(s.events_per_second, base), 2),
        ceiling ? pct(100 * ratio(s.events_per_second, ceiling)) : 'n/a',
        fixed(cores, 2),
        int(s.events_per_second / cores),
        s.memory.map((m) => fixed(m.rss_max_mb, 0)).join(', '),
        v ? `${int(v.predictions)} predictions, ${v.duplicates} duplicates, ${v.missing} missing` : 'not checked',
      ];
    }),
  );
  if (otherNode.length === 0) return table;
  const on = otherNode.map((c) => `${c.label} on Node ${c.nodeVersion ?? '?'}`).join(', ');
  return `${table}\n\nWorkers run on the bench's node (${benchNode}) except ${on} (scripts/ci/node-versions.sh).`;
}

function profileSection(p: ProfiledRun, label: string): string {
  const s = p.summary;
  const areas = markdownTable(
    ['area', '% of busy CPU'],
    s.areas.slice(0, 12).map((a) => [a.area, fixed(a.busy_pct, 1)]),
  );
  const fns = markdownTable(
    ['function', 'where', 'area', '% of busy CPU'],
    s.top_functions.slice(0, 15).map((f) => [`\`${f.function}\``, f.location, f.area, fixed(f.busy_pct, 1)]),
  );
  return `**${label}** — ${p.note}; busy ${int(s.busy_ms)} ms of ${int(s.total_ms)} ms sampled between the first and the last sample in the hot path (start-up excluded; idle = waiting on I/O). Profile \`${p.profile}\`, flame graph input \`${p.folded}\`.\n\n${areas}\n\n${fns}`;
}

function targets(r: BenchReport): string {
  const scoreRatio = r.score?.ratios['single record, validate + score'] ?? undefined;
  const at32 = r.http?.levels.find((l) => l.connections === 32);
  const eosSingle = r.python?.find((p) => p.delivery === 'exactly-once' && p.scoring === 'single');
  const streamRatio =
    r.stream && eosSingle ? ratio(r.stream.events_per_second, eosSingle.events_per_second) : undefined;
  const rssValues = [
    ...(r.stream?.memory.map((m) => m.rss_max_mb) ?? []),
    ...(r.latency ? [r.latency.burst.rss_mb.max, ...r.latency.phases.map((p) => p.rss_mb.max)] : []),
  ];
  const rssMax = rssValues.length ? maxOf(rssValues) : undefined;
  const ceiling = r.ceiling?.pipeline_ceiling_events_per_second;
  const rows = [
    [
      'scoring >= 20x sklearn single-record',
      scoreRatio == null ? 'n/a' : times(scoreRatio),
      met(scoreRatio == null ? undefined : scoreRatio >= 20),
    ],
    [
      'HTTP >= 5x FastAPI req/s at 32 connections',
      at32 ? times(at32.rps_ratio) : 'n/a',
      met(at32 ? at32.rps_ratio >= 5 : undefined),
    ],
    [
      'HTTP p99 <= 5 ms at 32 connections',
      at32 ? `${fixed(at32.churn_scorer.latency_ms.p99, 2)} ms` : 'n/a',
      met(at32 ? at32.churn_scorer.latency_ms.p99 <= 5 : undefined),
    ],
    ...httpWrkTargets(r),
    [
      'stream >= 3x the Python loop, exactly-once on',
      streamRatio === undefined ? 'n/a' : times(streamRatio),
      met(streamRatio === undefined ? undefined : streamRatio >= 3),
    ],
    [
      'stream vs broker ceiling (report)',
      r.stream && ceiling ? pct(100 * ratio(r.stream.events_per_second, ceiling)) : 'n/a',
      'reported',
    ],
    [
      'worker RSS <= 150 MB',
      rssMax === undefined ? 'n/a' : `${fixed(rssMax, 0)} MB max`,
      met(rssMax === undefined ? undefined : rssMax <= 150),
    ],
    [
      'reasons + drift on: < 15% fewer events per CPU-second (issue 12)',
      r.features ? pct(100 * r.features.target.loss) : 'n/a',
      met(r.features?.target.met),
    ],
  ];
  return markdownTable(['target (issue 5, issue 12)', 'measured', 'status'], rows);
}

/** Issue 14's HTTP targets, from the pinned wrk runs of `serve --workers N` (one process per core). */
function httpWrkTargets(r: BenchReport): string[][] {
  const runs = r.http?.pinned?.runs.filter((run) => run.tool === 'wrk') ?? [];
  const many = runs.filter((run) => run.server.startsWith('churn-scorer') && !run.server.endsWith('--workers 1'));
  const best = many.sort((a, b) => b.requests_per_second - a.requests_per_second)[0];
  const fastapi = runs.find((run) => run.server.startsWith('FastAPI'));
  if (best === undefined) return [];
  const vsFastapi = fastapi === undefined ? NaN : ratio(best.requests_per_second, fastapi.requests_per_second);
  return [
    [
      `HTTP p99 <= 5 ms at 32 connections, wrk (${best.server}, issue 14)`,
      `${fixed(best.latency_ms.p99, 2)} ms`,
      met(best.latency_ms.p99 <= 5),
    ],
    [
      `HTTP >= 25x FastAPI req/s at 32 connections, wrk (${best.server}, issue 14)`,
      times(vsFastapi),
      met(Number.isFinite(vsFastapi) ? vsFastapi >= 25 : undefined),
    ],
  ];
}

export function renderSummary(r: BenchReport): string {
  const parts = [
    `# churn-scorer benchmark run ${r.run}${r.quick ? ' (quick)' : ''}`,
    `Machine: ${JSON.stringify(r.machine)}\nVersions: ${JSON.stringify(r.versions)}\nLoad average (1/5/15 min): before ${r.load.before.join(' ')}, after ${r.load.after?.join(' ') ?? '?'}. Took ${fixed(r.seconds ?? NaN, 0)} s. Launcher node flags (every serve and worker): \`${r.launcher_node_flags.join(' ') || 'none'}\`.${r.worker_node_flags.length ? ` Worker node flags: \`${r.worker_node_flags.join(' ')}\`.` : ''}`,
    '## Targets',
    targets(r),
    ...(r.regression_guard === undefined
      ? []
      : [
          '## Regression guard (ratios against the published runs)',
          r.regression_guard.map((l) => `    ${l}`).join('\n'),
        ]),
  ];
  if (r.score) parts.push('## 1. Scoring kernel', scoreSection(r.score));
  if (r.http) parts.push('## 2. HTTP POST /predict', httpTable(r.http));
  if (r.stream || r.python || r.ceiling)
    parts.push('## 3. Stream, customers -> committed predictions', streamSection(r));
  if (r.features) parts.push('### Cost of the reasons and the drift windows (issue 12)', featureCostTable(r.features));
  if (r.latency) parts.push('### End-to-end latency at fixed offered rates', latencySection(r.latency));
  if (r.coldstart) parts.push('### Latency from a cold start (after /readyz)', coldStartSection(r.coldstart));
  if (r.scaling) parts.push('## 4. Scaling', scalingSection(r.scaling));
  if (r.stream || r.latency) parts.push('## 5. Worker memory', memorySection(r));
  if (r.clients)
    parts.push(
      '## Kafka clients behind the same data path',
      clientsSection(r.clients, r.ceiling?.pipeline_ceiling_events_per_second, r.versions.node ?? '?'),
    );
  if (r.clients_profile)
    parts.push(
      profileSection(
        r.clients_profile,
        `Worker over @confluentinc/kafka-javascript (${int(r.clients_profile.events_per_second)} events/s while profiled)`,
      ),
    );
  if (r.peers) parts.push('## Kafka Streams peer (issue 14)', peersTable(r.peers));
  if (r.profile) {
    parts.push('## 6. Profiles');
    if (r.profile.worker)
      parts.push(
        profileSection(r.profile.worker, `Worker (${int(r.profile.worker.events_per_second)} events/s while profiled)`),
      );
    if (r.profile.serve)
      parts.push(
        profileSection(r.profile.serve, `serve (${int(r.profile.serve.requests_per_second)} req/s while profiled)`),
      );
  }
  if (r.errors)
    parts.push(
      '## Failed sections',
      markdownTable(
        ['section', 'error'],
        Object.entries(r.errors).map(([k, v]) => [k, v.replace(/\|/g, '/')]),
      ),
    );
  return parts.join('\n\n') + '\n';
}

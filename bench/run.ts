/**
 * `npm run bench [-- --quick] [-- --only score,http,stream,features,python,ceiling,latency,coldstart,scaling,clients,profile,peers]`
 *
 * Every section of issue 5 in one run, side by side on the same machine and broker: scorer vs scikit-learn, HTTP
 * vs the notes' FastAPI service, the exactly-once stream vs a Python Kafka loop and Kafka's own perf tools,
 * scaling over partitions, worker memory, CPU profiles. Writes bench/results/bench-<run>.json (everything) and
 * bench/results/summary-<run>.md (the tables), and prints the tables. Every process it starts is stopped on exit.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runHttpBench, type HttpBenchResult } from './http/http-bench.js';
import { stopAll } from './lib/children.js';
import { launcherNodeFlags } from './lib/launcher.js';
import { acquireStack, type BenchStack } from './lib/stack.js';
import { loadAverage, machine, RESULTS_DIR, REPO_ROOT, versions, writeResult } from './lib/results.js';
import { profileServe, profileWorker } from './profile/profile-bench.js';
import { renderSummary, type BenchReport } from './report.js';
import { runScoreBench } from './score-section.js';
import { FULL, QUICK, type BenchSizes } from './sizes.js';
import { brokerCeiling } from './stream/ceiling.js';
import { closeStreamContext, openStreamContext, type StreamContext } from './stream/context.js';
import { FEATURE_VARIANTS, featureCost } from './stream/feature-cost.js';
import { latencyAndBurst } from './stream/latency.js';
import { pythonLoopThroughput, workerThroughput } from './stream/throughput.js';
import { installedVersion, KAFKA_CLIENTS, workerNode, workerOf } from './clients/kafka-clients.js';
import { PEER_LATENCY_FRACTIONS, peersBench } from './stream/peer-bench.js';
import { coldStart } from './stream/cold-start.js';
import { compareRatios, guardedRatios, publishedRatios, regressionLines } from './regression-guard.js';
import { kafkaStreamsContender, PEER_JVM_FLAGS, workerContender } from './stream/peer-process.js';

const SECTIONS = [
  'score',
  'http',
  'stream',
  'features',
  'python',
  'ceiling',
  'latency',
  'coldstart',
  'scaling',
  'clients',
  'profile',
  'peers',
] as const;
type Section = (typeof SECTIONS)[number];

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a whole number >= 1, got '${text}'`);
  return n;
}

function featureVariants(text: string): string[] {
  const known = FEATURE_VARIANTS.map((v) => v.label);
  const asked = text.split(',').filter((v) => v !== '');
  for (const v of asked)
    if (!known.includes(v)) throw new Error(`--feature-variants: unknown variant '${v}' (known: ${known.join(', ')})`);
  return asked;
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    // e.g. --worker-node-flags=--max-semi-space-size=4 : V8/Node flags for every `run` worker (what-if runs)
    'worker-node-flags': { type: 'string' },
    // the 'features' section: e.g. --feature-rounds=10 --feature-variants=on (a longer off/on series)
    'feature-rounds': { type: 'string' },
    'feature-variants': { type: 'string' },
    // the 'peers' section: the Kafka Streams peer's JVM flags (default PEER_JVM_FLAGS) and stream threads
    'peer-jvm-flags': { type: 'string' },
    'peer-threads': { type: 'string' },
  },
});
const quick = values.quick;
const sizes: BenchSizes = {
  ...(quick ? QUICK : FULL),
  ...(values['feature-rounds'] === undefined
    ? {}
    : { featureRounds: positiveInt('--feature-rounds', values['feature-rounds']) }),
  ...(values['feature-variants'] === undefined ? {} : { featureVariants: featureVariants(values['feature-variants']) }),
};
// 'clients' builds librdkafka on its first run (~2 min) and 'peers' runs two processes through two measurements
// (~3 min): too slow for --quick's 5 minutes unless asked for.
const NOT_QUICK: readonly Section[] = ['clients', 'peers'];
const only = new Set(
  (values.only?.split(',') ?? SECTIONS.filter((s) => !(quick && NOT_QUICK.includes(s)))) as Section[],
);
for (const s of only)
  if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}' (known: ${SECTIONS.join(', ')})`);
const stamp = { id: new Date().toISOString().replace(/[:.]/g, '-'), quick };
const workerNodeFlags = values['worker-node-flags']?.split(' ').filter((f) => f !== '') ?? [];
const peerJvmFlags = values['peer-jvm-flags']?.split(' ').filter((f) => f !== '') ?? [...PEER_JVM_FLAGS];
const peerThreads = values['peer-threads'] === undefined ? 1 : positiveInt('--peer-threads', values['peer-threads']);
let peerJar: string | undefined;
/** the node binary of each bench/clients worker that needs another node than the bench's (by label) */
const clientNodes = new Map<string, string>();
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

function prepare(report: BenchReport): void {
  if (!values['skip-build']) {
    say('npm run build (the benchmarks run bin/churn-scorer from dist/)');
    execFileSync('npm', ['run', '--silent', 'build'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
  }
  if (only.has('score') || only.has('http') || only.has('python')) {
    say('bash scripts/python-env.sh (uv + training/.venv for scikit-learn, FastAPI, confluent-kafka)');
    execFileSync('bash', ['scripts/python-env.sh'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
  }
  if (only.has('http')) {
    say('bash scripts/bench/http-tools.sh (wrk and taskset, Debian packages, for the pinned HTTP comparison)');
    try {
      execFileSync('bash', ['scripts/bench/http-tools.sh'], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 300_000,
      });
    } catch (err) {
      // Optional: without wrk (no root for apt) the http section measures with autocannon alone and says so.
      (report.errors ??= {})['http-tools'] = `scripts/bench/http-tools.sh failed: ${(err as Error).message}`;
    }
  }
  if (only.has('clients')) {
    say(
      'bash scripts/bench/kafka-clients.sh (@confluentinc/kafka-javascript, built once, and @platformatic/kafka into bench/clients)',
    );
    try {
      execFileSync('bash', ['scripts/bench/kafka-clients.sh'], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 900_000,
      });
    } catch (err) {
      // Optional: without the native build (no compiler, no root for apt) the other sections still run.
      (report.errors ??= {})['clients'] = `scripts/bench/kafka-clients.sh failed: ${(err as Error).message}`;
      only.delete('clients');
    }
  }
  if (only.has('clients')) {
    for (const client of KAFKA_CLIENTS) {
      if (client.nodeVersion === undefined) continue;
      try {
        clientNodes.set(client.label, workerNode(client.nodeVersion, say));
      } catch (err) {
        // That client is left out (the section says why); the others still run.
        (report.errors ??= {})[`${client.label}-node`] =
          `node ${client.nodeVersion} (scripts/ci/node-versions.sh) unavailable: ${(err as Error).message}`;
      }
    }
  }
  if (only.has('peers')) {
    say('bash scripts/bench/kafka-streams-peer.sh (the Kafka Streams peer, built with Maven once)');
    try {
      peerJar = execFileSync('bash', ['scripts/bench/kafka-streams-peer.sh'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 900_000,
      }).trim();
    } catch (err) {
      (report.errors ??= {})['peers'] = `scripts/bench/kafka-streams-peer.sh failed: ${(err as Error).message}`;
      only.delete('peers');
    }
  }
}

/** Runs one section; a failure is recorded in the report and the run goes on with the next section. */
async function section<T>(report: BenchReport, name: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    say(`section ${name} failed: ${(err as Error).stack ?? String(err)}`);
    (report.errors ??= {})[name] = (err as Error).message;
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const report: BenchReport = {
    run: stamp.id,
    quick,
    sizes,
    machine: machine(),
    versions: versions(),
    load: { before: loadAverage() },
    worker_node_flags: workerNodeFlags,
    launcher_node_flags: launcherNodeFlags(),
  };
  say(`run ${stamp.id}${quick ? ' (quick)' : ''}; load average ${report.load.before.join(' ')}`);
  prepare(report);
  report.versions = versions(); // after prepare: it may have installed the bench-only clients
  if (only.has('clients')) report.versions['@platformatic/kafka'] = installedVersion('@platformatic/kafka');

  if (only.has('score')) {
    report.score = await section(report, 'score', () => runScoreBench(sizes.scoreSeconds, stamp.id));
  }
  if (only.has('http')) {
    report.http = await section(report, 'http', (): Promise<HttpBenchResult> =>
      runHttpBench({
        connections: sizes.httpConnections,
        seconds: sizes.httpSeconds,
        warmupSeconds: sizes.httpWarmupSeconds,
        runId: stamp.id,
        // issue 14: one process per core beside one process, wrk beside autocannon
        pinned: { connections: 32, workers: [1, Math.max(2, availableParallelism())] },
      }),
    );
    report.load.after_http = loadAverage();
  }

  const streamSections: Section[] = [
    'stream',
    'features',
    'python',
    'ceiling',
    'latency',
    'coldstart',
    'scaling',
    'clients',
    'profile',
    'peers',
  ];
  if (streamSections.some((s) => only.has(s))) {
    const stack: BenchStack = await acquireStack();
    let ctx: StreamContext | undefined;
    try {
      ctx = await openStreamContext(stack, stamp.id);
      report.stack = { brokers: stack.brokers, registry: stack.registryUrl, started_here: stack.startedHere };
      if (only.has('stream')) {
        const c = ctx;
        report.stream = await section(report, 'stream', () =>
          workerThroughput(c, {
            label: 'peak',
            partitions: sizes.streamPartitions,
            workers: 1,
            events: sizes.streamEvents,
            verify: true,
            nodeFlags: workerNodeFlags,
          }),
        );
      }
      if (only.has('features')) {
        const c = ctx;
        report.features = await section(report, 'features', () =>
          featureCost(c, {
            events: sizes.featureEvents,
            partitions: sizes.streamPartitions,
            rounds: sizes.featureRounds,
            variants: sizes.featureVariants,
            nodeFlags: workerNodeFlags,
          }),
        );
        report.load.after_features = loadAverage();
      }
      if (only.has('python')) {
        report.python = [];
        for (const [delivery, scoring] of [
          ['exactly-once', 'single'],
          ['at-least-once', 'single'],
          ['exactly-once', 'batch'],
        ] as const) {
          const c = ctx;
          const label = `python-${delivery === 'exactly-once' ? 'eos' : 'alo'}-${scoring}`;
          const result = await section(report, label, () =>
            pythonLoopThroughput(c, {
              label,
              partitions: sizes.streamPartitions,
              events: sizes.pythonEvents,
              delivery,
              scoring,
            }),
          );
          if (result) report.python.push(result);
        }
      }
      if (only.has('ceiling')) {
        const recordSize = Math.round(report.stream?.produce.mean_value_bytes ?? 330);
        const c = ctx;
        report.ceiling = await section(report, 'ceiling', () =>
          brokerCeiling(c, { recordSize, records: sizes.ceilingRecords, partitions: sizes.streamPartitions }),
        );
      }
      if (only.has('latency')) {
        const c = ctx;
        const peak = report.stream?.events_per_second;
        report.latency = await section(report, 'latency', async () => {
          if (peak === undefined || !Number.isFinite(peak))
            throw new Error('the latency section needs the peak from the stream section');
          return latencyAndBurst(c, {
            peak,
            fractions: sizes.latencyFractions,
            seconds: sizes.latencySeconds,
            partitions: sizes.streamPartitions,
            burstSeconds: sizes.burstSeconds,
            nodeFlags: workerNodeFlags,
          });
        });
      }
      if (only.has('coldstart')) {
        const c = ctx;
        // `run` as a user starts it (the outcome join on, as by default); then without the join, with and without the warm-up.
        const variants: { variant: string; env: Record<string, string> }[] = [
          { variant: 'run (defaults)', env: { OUTCOME_JOIN: 'true' } },
          { variant: 'run, OUTCOME_JOIN=false', env: { OUTCOME_JOIN: 'false' } },
          {
            variant: 'run, OUTCOME_JOIN=false WARM_UP_RECORDS=0',
            env: { OUTCOME_JOIN: 'false', WARM_UP_RECORDS: '0' },
          },
        ];
        report.coldstart = [];
        for (const [i, v] of variants.entries()) {
          const result = await section(report, `coldstart ${v.variant}`, () =>
            coldStart(c, {
              ...v,
              label: `coldstart${i}`,
              rate: sizes.coldStartRate,
              seconds: sizes.coldStartSeconds,
              partitions: sizes.streamPartitions,
              settleBoundMs: 50,
              nodeFlags: workerNodeFlags,
            }),
          );
          if (result) report.coldstart.push(result);
        }
      }
      if (only.has('scaling')) {
        report.scaling = [];
        for (const p of sizes.scalingPartitions) {
          const c = ctx;
          const result = await section(report, `scale-${p}`, () =>
            workerThroughput(c, {
              label: `scale-${p}`,
              partitions: p,
              workers: p,
              events: sizes.scalingEvents,
              verify: false,
              nodeFlags: workerNodeFlags,
            }),
          );
          if (result) report.scaling.push(result);
        }
      }
      if (only.has('clients')) {
        // The same data path over each client, one after the other on identical fresh topic sets; a worker that
        // needs another node (@platformatic/kafka: 22) runs on the one prepare() found for it.
        report.clients = [];
        for (const client of KAFKA_CLIENTS) {
          const node = clientNodes.get(client.label);
          if (client.nodeVersion !== undefined && node === undefined) continue;
          const c = ctx;
          const result = await section(report, client.label, () =>
            workerThroughput(c, {
              label: client.label,
              partitions: sizes.streamPartitions,
              workers: 1,
              events: sizes.clientEvents,
              verify: true,
              ...workerOf(client, node),
            }),
          );
          if (result) report.clients.push(result);
        }
        const confluent = KAFKA_CLIENTS.find((k) => k.label === 'client-confluent');
        if (confluent) {
          const c = ctx;
          report.clients_profile = await section(report, 'profile-client-confluent', () =>
            profileWorker(c, sizes.profileEvents, stamp.id, {
              label: confluent.label,
              program: confluent.worker.program,
            }),
          );
        }
      }
      if (only.has('profile')) {
        const c = ctx;
        const worker = await section(report, 'profile-worker', () => profileWorker(c, sizes.profileEvents, stamp.id));
        const serve = await section(report, 'profile-serve', () => profileServe(sizes.profileServeSeconds, stamp.id));
        report.profile = { ...(worker ? { worker } : {}), ...(serve ? { serve } : {}) };
      }
      if (only.has('peers') && peerJar !== undefined) {
        const c = ctx;
        const jar = peerJar;
        report.peers = await section(report, 'peers', () =>
          peersBench(
            c,
            [
              workerContender({ nodeFlags: workerNodeFlags }),
              kafkaStreamsContender({ jar, jvmFlags: peerJvmFlags, threads: peerThreads }),
            ],
            {
              events: sizes.streamEvents,
              partitions: sizes.streamPartitions,
              fractions: PEER_LATENCY_FRACTIONS,
              seconds: sizes.latencySeconds,
            },
          ),
        );
        for (const run of report.peers?.runs ?? [])
          for (const [what, message] of Object.entries(run.errors ?? {}))
            (report.errors ??= {})[`peers-${run.label}-${what}`] = message;
        report.load.after_peers = loadAverage();
      }
    } finally {
      if (ctx) await closeStreamContext(ctx);
      await stack.release();
    }
  }

  if (report.errors) process.exitCode = 1;
  report.load.after = loadAverage();
  report.seconds = (Date.now() - started) / 1000;
  const guard = regressionLines(compareRatios(guardedRatios(report), publishedRatios()));
  report.regression_guard = guard;
  const file = writeResult(stamp, 'bench', { report });
  const summary = renderSummary(report);
  const md = join(RESULTS_DIR, `summary-${stamp.id}.md`);
  writeFileSync(md, summary);
  process.stdout.write(summary);
  for (const line of guard) say(line);
  say(`written ${file} and ${md} in ${report.seconds.toFixed(0)} s`);
}

process.on('unhandledRejection', (reason) => {
  say(`unhandled rejection (ignored, the section that caused it reports its own failure): ${String(reason)}`);
});

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  say(`failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await stopAll();
}

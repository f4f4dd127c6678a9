import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Producer } from 'kafkajs';
import { describe, expect, onTestFinished } from 'vitest';
import { loadModel } from '../../src/model/load-artifact.js';
import type { RolloutDocument } from '../../src/rollout/rollout-document.js';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { servingModel, type ServingModel } from '../../src/serving/serving-set.js';
import { PredictionCollector, describeAudit, readUncommittedCount } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, telcoEvents } from '../support/events.js';
import { groupLag } from '../support/kafka.js';
import { metricValue } from '../support/metrics.js';
import { REPO_ROOT } from '../support/paths.js';
import { describeExit, type WorkerProcess } from '../support/processes.js';
import {
  describeRollout,
  latestRevision,
  normalizedRollout,
  publicationTimes,
  rolloutsByRevision,
  startRolloutCollector,
} from '../support/rollout-topic.js';
import { auditRollout, type Prediction } from '../support/rollout-audit.js';
import { test } from '../support/stream-fixture.js';
import { waitUntil } from '../support/wait.js';

const EVENTS = 100_000;
const PARTITIONS = 3;
const KILLS = 2;
/** Fast enough for a busy worker, slow enough that the traffic lasts across every rollout change and both restarts. */
const PER_SECOND = 2_000;
/**
 * Events held back per rollout change not yet taken up by the worker, released when it is: the traffic cannot run
 * out before the last change, so every revision scores events whatever the CLI's and the restarts' pace.
 */
const RESERVE_PER_CHANGE = 3_000;
/** Events held back for each kill and sent at once just before it, so the worker is busy when it dies. */
const KILL_BURST = 6_000;
/** many small transactions, so a rollout change and a kill both land among open ones */
const WORKER_ENV = { TOPIC_PARTITIONS: String(PARTITIONS), TRANSACTION_MAX_RECORDS: '200' };

/**
 * How long after a revision's publication a record may still be scored under the one before. Generous: this test
 * checks that the worker follows at all while it scores and gets killed; chaos is not where to time it.
 */
const TAKE_UP_MS = 10_000;

/** The worker's own model (MODEL_DIR, config/default.json): champion of revision 0, before any rollout. */
const LOCAL_VERSION = '1.0.0';
/**
 * A third published version: 1.1.0's artifact under another version string (only `version` in model.json changes),
 * so two shadows can run at once. It scores as 1.1.0 does, so its parity examples still hold.
 */
const COPY_VERSION = '1.2.0';

interface RolloutChange {
  args: string[];
  /** what the published document must be, given the documents of the revisions before it */
  expected: (before: ReadonlyMap<number, RolloutDocument>, revision: number) => RolloutDocument;
}

const challenger = (version: string, kind: 'canary' | 'ab', weight: number) => ({ version, kind, weight });
const fixed = (document: RolloutDocument) => () => document;
const revisionBack = (before: ReadonlyMap<number, RolloutDocument>, revision: number, back: number) => {
  const document = before.get(revision - back);
  if (document === undefined) throw new Error(`no document for revision ${revision - back}`);
  return document;
};

/**
 * The course's sequence and back: shadow, canary, a bigger canary, A/B, promote, two challengers at once, two
 * shadows at once, rollback, a new canary with a shadow, rollback again.
 */
const CHANGES: readonly RolloutChange[] = [
  {
    args: ['rollout', 'set', '--champion', '1.0.0', '--shadow', '1.1.0'],
    expected: fixed({ champion: '1.0.0', shadows: ['1.1.0'] }),
  },
  {
    args: ['rollout', 'set', '--champion', '1.0.0', '--canary', '1.1.0=10%', '--shadow', COPY_VERSION],
    expected: fixed({ champion: '1.0.0', challengers: [challenger('1.1.0', 'canary', 10)], shadows: [COPY_VERSION] }),
  },
  {
    args: ['rollout', 'set', '--champion', '1.0.0', '--canary', '1.1.0=25%', '--shadow', COPY_VERSION],
    expected: fixed({ champion: '1.0.0', challengers: [challenger('1.1.0', 'canary', 25)], shadows: [COPY_VERSION] }),
  },
  {
    args: ['rollout', 'set', '--champion', '1.0.0', '--ab', '1.1.0=50%'],
    expected: fixed({ champion: '1.0.0', challengers: [challenger('1.1.0', 'ab', 50)] }),
  },
  {
    args: ['rollout', 'promote', '1.1.0'],
    // the promoted challenger leaves the challengers, the old champion leaves the rollout
    expected: fixed({ champion: '1.1.0' }),
  },
  {
    args: ['rollout', 'set', '--champion', '1.1.0', '--canary', `${COPY_VERSION}=5%`, '--ab', '1.0.0=30%'],
    expected: fixed({
      champion: '1.1.0',
      challengers: [challenger(COPY_VERSION, 'canary', 5), challenger('1.0.0', 'ab', 30)],
    }),
  },
  {
    args: ['rollout', 'set', '--champion', '1.1.0', '--shadow', '1.0.0', '--shadow', COPY_VERSION],
    expected: fixed({ champion: '1.1.0', shadows: ['1.0.0', COPY_VERSION] }),
  },
  // rollback puts the rollout in force before the current one back, as a new revision
  { args: ['rollout', 'rollback'], expected: (before, revision) => revisionBack(before, revision, 2) },
  {
    args: ['rollout', 'set', '--champion', '1.0.0', '--canary', `${COPY_VERSION}=15%`, '--shadow', '1.1.0'],
    expected: fixed({
      champion: '1.0.0',
      challengers: [challenger(COPY_VERSION, 'canary', 15)],
      shadows: ['1.1.0'],
    }),
  },
  { args: ['rollout', 'rollback'], expected: (before, revision) => revisionBack(before, revision, 2) },
];

const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

/** Copies models/churn/1.1.0 to <root>/<version> with only the version string of model.json changed. */
function renamedModelCopy(root: string, version: string): string {
  const dir = join(root, version);
  cpSync(join(REPO_ROOT, 'models', 'churn', '1.1.0'), dir, { recursive: true });
  const file = join(dir, 'model.json');
  const text = readFileSync(file, 'utf8');
  const renamed = text.replace('"version": "1.1.0"', `"version": "${version}"`);
  if (renamed === text) throw new Error(`${file}: no "version": "1.1.0" to rename`);
  writeFileSync(file, renamed);
  return dir;
}

/**
 * `count` Telco events, each customer id made unique per pass over the 7,043 customers, so every event is a
 * distinct customer and the variants cover the whole bucket range rather than 7,043 points of it.
 */
function distinctCustomerEvents(count: number): CustomerEvent[] {
  const events = telcoEvents(count);
  const customers = new Set(events.map((e) => e.customerid)).size;
  return events.map((e, i) => {
    const pass = Math.floor(i / customers);
    return pass === 0 ? e : { ...e, customerid: `${e.customerid}-${pass}` };
  });
}

/**
 * Sends the messages in order, in chunks at `perSecond`, never past `allowance()`; `burst(n)` lets the next n go
 * beyond it at once, unpaced, so the worker has a backlog (and open transactions) at that moment.
 */
class HeldBackFeed {
  readonly done: Promise<void>;
  private count = 0;
  private extra = 0;
  private unpacedUntil = 0;
  private stopped = false;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly messages: readonly Message[],
    private readonly options: { perSecond: number; chunk: number; allowance: () => number },
  ) {
    this.done = this.send();
    // awaited at the end of the test; until then a failure must not be an unhandled rejection
    this.done.catch(() => undefined);
  }

  sent(): number {
    return this.count;
  }

  /** Lets the next `count` messages go at once. */
  burst(count: number): void {
    this.extra += count;
    this.unpacedUntil = Math.min(this.messages.length, this.count + count);
  }

  /** Sends nothing more (the test ended early). */
  stop(): void {
    this.stopped = true;
  }

  private async send(): Promise<void> {
    const { messages, options } = this;
    while (this.count < messages.length && !this.stopped) {
      const limit = Math.min(messages.length, options.allowance() + this.extra);
      if (this.count >= limit) {
        await sleep(50);
        continue;
      }
      const part = messages.slice(this.count, Math.min(limit, this.count + options.chunk));
      const began = Date.now();
      await this.producer.send({ topic: this.topic, messages: part, acks: -1 });
      this.count += part.length;
      if (this.count <= this.unpacedUntil) continue;
      const wait = (part.length / options.perSecond) * 1000 - (Date.now() - began);
      if (wait > 0) await sleep(wait);
    }
  }
}

/*
 * Issue 11's acceptance run: rollout changes published while a worker scores and gets SIGKILLed, then every
 * committed record checked against the revision it names (test/support/rollout-audit.ts says what that proves
 * from outside and what only the pipeline's unit tests can: a transaction captures the serving set once).
 */
describe('chaos: rollout', () => {
  test(
    `${EVENTS} events over ${PARTITIONS} partitions, ${CHANGES.length} rollout changes, worker SIGKILLed ${KILLS} ` +
      'times: one prediction per event with the version its revision assigns, one shadow prediction per shadow',
    async ({ stream }) => {
      const testStarted = Date.now();
      const at = () => `+${((Date.now() - testStarted) / 1000).toFixed(1)}s`;
      const { names, kafka, admin } = stream;
      await stream.createTopics({ partitions: PARTITIONS });
      const root = mkdtempSync(join(tmpdir(), 'churn-rollout-'));
      onTestFinished(() => {
        rmSync(root, { recursive: true, force: true });
      });
      // Printed as they happen, so a run that fails or times out still shows how far it got.
      const step = (line: string) => process.stdout.write(`[chaos rollout] ${line}\n`);
      const cli = async (args: readonly string[], name: string) => {
        const run = await stream.runCli(args, { name, timeoutMs: 60_000 });
        expect(run.status, `churn-scorer ${args.join(' ')}:\n${run.output}`).toEqual({ code: 0, signal: null });
        return run;
      };

      // Three versions published before the worker starts.
      const versionDirs = new Map([
        ['1.0.0', join(REPO_ROOT, 'models', 'churn', '1.0.0')],
        ['1.1.0', join(REPO_ROOT, 'models', 'churn', '1.1.0')],
        [COPY_VERSION, renamedModelCopy(root, COPY_VERSION)],
      ]);
      for (const [version, dir] of versionDirs) await cli(['model', 'publish', dir], `publish-${version}`);
      step(`${versionDirs.size} versions published at ${at()}`);
      const models = new Map<string, ServingModel>();
      for (const [version, dir] of versionDirs) models.set(version, servingModel(await loadModel(dir), false));

      const predictions = await stream.collectPredictions();
      const shadows = await PredictionCollector.start(kafka, names.shadow);
      onTestFinished(() => shadows.stop());
      const deadLetters = await stream.collectDeadLetters();
      const encoder = await customerEventEncoder(names.customers);
      const events = distinctCustomerEvents(EVENTS);
      const producer = await stream.producer();

      let generation = 1;
      let worker: WorkerProcess = stream.startWorker({ name: `worker-${generation}`, env: WORKER_ENV });
      await worker.waitForReady(120_000);
      step(`worker 1 ready at ${at()}`);
      // `model publish` or the worker made the rollout topic; a reader must not auto-create it.
      await waitUntil(async () => (await admin.listTopics()).includes(names.rollout), {
        timeoutMs: 30_000,
        describe: () => `topic ${names.rollout} does not exist`,
      });
      const rolloutRecords = await startRolloutCollector(kafka, names.rollout);
      onTestFinished(() => rolloutRecords.stop());

      let takenUp = 0;
      const sending = new HeldBackFeed(
        producer,
        names.customers,
        events.map((e) => eventMessage(encoder, e)),
        {
          perSecond: PER_SECOND,
          chunk: 500,
          allowance: () => EVENTS - RESERVE_PER_CHANGE * (CHANGES.length - takenUp) - KILL_BURST * KILLS,
        },
      );
      onTestFinished(() => {
        sending.stop();
      });

      let scanned = 0;
      let highestScored = -1;
      const revisionScored = (revision: number) => {
        const records = predictions.records;
        for (; scanned < records.length; scanned++) {
          highestScored = Math.max(highestScored, (records[scanned] as Prediction).value.rollout_revision);
        }
        return highestScored >= revision;
      };
      // A worker that exits on its own fails the test at once, with its log, rather than at a timeout.
      const workerAlive = () => {
        if (!worker.running) {
          throw new Error(`${worker.label} exited (${describeExit(worker.status)}):\n${worker.tail(20)}`);
        }
      };
      const workerRevision = async () => {
        try {
          const metrics = await worker.get('/metrics');
          return metricValue(metrics.body, 'churn_rollout_revision') ?? -1;
        } catch {
          return -1; // restarting
        }
      };

      // Revision 0 (the local model alone) serves the first events.
      await waitUntil(() => predictions.records.length >= 2_000, {
        timeoutMs: 60_000,
        describe: () => `${predictions.records.length} predictions before the first rollout, waiting for 2000`,
      });

      const killSteps = new Set<number>();
      while (killSteps.size < KILLS) killSteps.add(randomBetween(0, CHANGES.length));
      const published = new Map<number, RolloutDocument>();
      for (const [index, change] of CHANGES.entries()) {
        const revision = index + 1;
        await cli(change.args, `rollout-${revision}`);
        await waitUntil(() => latestRevision(rolloutRecords.records) >= revision, {
          timeoutMs: 30_000,
          describe: () =>
            `rollout topic at revision ${latestRevision(rolloutRecords.records)}, waiting for ${revision}`,
        });
        const documents = rolloutsByRevision(rolloutRecords.records, LOCAL_VERSION);
        const document = documents.get(revision);
        expect(latestRevision(rolloutRecords.records), `${change.args.join(' ')} publishes one revision`).toBe(
          revision,
        );
        published.set(revision, document ?? { champion: '(none)' });
        let line = `rev ${revision} (${change.args.slice(1).join(' ')}: ${document ? describeRollout(document) : '?'}) published ${at()}`;

        if (killSteps.has(index)) {
          // A burst, and the kill at a random point of the worker's way through it, as in chaos/crash.
          await sleep(randomBetween(0, 2_000));
          const from = predictions.records.length;
          sending.burst(KILL_BURST);
          const killAt = from + randomBetween(KILL_BURST / 10, KILL_BURST / 2);
          await waitUntil(() => predictions.records.length >= killAt, {
            timeoutMs: 60_000,
            intervalMs: 10,
            describe: () => `${predictions.records.length} predictions, waiting for ${killAt} to kill the worker`,
          });
          const seen = predictions.records.length;
          await worker.kill();
          // committed input offsets stay where the dead worker left them until its successor commits
          const lag = (await groupLag(admin, names.group, names.customers)).total;
          line +=
            `, worker ${generation} (pid ${worker.pid}) SIGKILLed ${at()} at ${seen} predictions seen ` +
            `(burst from ${from}), uncommitted input ${lag}`;
          generation++;
          worker = stream.startWorker({ name: `worker-${generation}`, env: WORKER_ENV });
        }
        await waitUntil(
          async () => {
            workerAlive();
            return revisionScored(revision) || (await workerRevision()) >= revision;
          },
          {
            timeoutMs: 90_000,
            intervalMs: 100,
            describe: () =>
              `worker ${generation} has not taken up revision ${revision} (highest scored ${highestScored})`,
          },
        );
        takenUp = revision;
        await waitUntil(
          () => {
            workerAlive();
            return revisionScored(revision);
          },
          {
            timeoutMs: 90_000,
            intervalMs: 100,
            describe: () =>
              `no prediction under revision ${revision} yet (highest ${highestScored}; ${sending.sent()} sent)`,
          },
        );
        step(`${line}, first scored ${at()}`);
        await sleep(randomBetween(1_000, 2_500));
      }
      await sending.done;
      step(`all ${EVENTS} sent ${at()}`);

      const expected = new Set(events.map((e) => e.event_id));
      const audit = await predictions.settle(
        admin,
        expected,
        { groupId: names.group, topic: names.customers },
        { predictionsMs: 240_000, lagMs: 60_000 },
      );
      await shadows.drain(admin);
      await rolloutRecords.drain(admin);
      await deadLetters.drain(admin);
      step(`settled ${at()}`);

      const documents = rolloutsByRevision(rolloutRecords.records, LOCAL_VERSION);
      const result = auditRollout({
        live: predictions.records,
        shadow: shadows.records,
        documents,
        publishedAt: publicationTimes(rolloutRecords.records),
        takeUpMs: TAKE_UP_MS,
        models,
        events: new Map(events.map((e) => [e.event_id, e])),
      });
      const uncommitted = await readUncommittedCount(kafka, admin, names.predictions);

      const figures = [...result.figures]
        .sort(([a], [b]) => a - b)
        .map(
          ([revision, f]) =>
            `rev ${revision} [${describeRollout(documents.get(revision) ?? { champion: '?' })}]: ${f.events} events ` +
            `${JSON.stringify(f.variants)}, ${f.shadowRecords} shadow`,
        );
      process.stdout.write(
        `[chaos rollout] read_committed: ${describeAudit(audit)}\n` +
          `[chaos rollout] shadow: ${shadows.records.length} records, ${result.expectedShadowRecords} expected; ` +
          `transactions seen (runs of consecutive offsets): ${result.transactions.live} live, ${result.transactions.shadow} shadow\n` +
          `[chaos rollout] read_uncommitted sees ${uncommitted} predictions (${uncommitted - audit.records} from aborted transactions)\n` +
          `[chaos rollout] ${figures.join('\n[chaos rollout] ')}\n` +
          `[chaos rollout] ${((Date.now() - testStarted) / 1000).toFixed(1)} s in all\n`,
      );

      // Exactly once on `predictions`, and nothing dead-lettered (every event is valid).
      expect(audit.missing, describeAudit(audit)).toEqual([]);
      expect(audit.duplicated, describeAudit(audit)).toEqual([]);
      expect(audit.unexpected, describeAudit(audit)).toEqual([]);
      expect(audit.decodeErrors).toEqual([]);
      expect(audit.records).toBe(EVENTS);
      expect(shadows.inner.decodeErrors).toEqual([]);
      expect(deadLetters.records.length, 'dead letters').toBe(0);
      expect(generation, 'the worker was killed and restarted').toBe(KILLS + 1);

      // What the CLI published is what it was asked for.
      for (const [index, change] of CHANGES.entries()) {
        const revision = index + 1;
        const document = normalizedRollout(published.get(revision) ?? { champion: '(none)' });
        const wanted = normalizedRollout(change.expected(published, revision));
        expect(document, `revision ${revision}: churn-scorer ${change.args.join(' ')}`).toEqual(wanted);
      }

      // Every record against the revision it names; every revision served events, with every kind of variant.
      expect(result.findings.report()).toEqual({});
      expect(shadows.records.length).toBe(result.expectedShadowRecords);
      expect([...result.figures.keys()].sort((a, b) => a - b)).toEqual(
        Array.from({ length: CHANGES.length + 1 }, (_, revision) => revision),
      );
      const variantsSeen = new Set([...result.figures.values()].flatMap((f) => Object.keys(f.variants)));
      expect([...variantsSeen].sort()).toEqual(['ab', 'canary', 'champion']);
      expect(shadows.records.length, 'shadow predictions were written').toBeGreaterThan(0);
    },
  );
});

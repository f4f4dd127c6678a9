import type { ChurnPrediction, CustomerEvent } from '../../src/serde/avro-records.js';
import { predictCustomer } from '../../src/model/predict-customer.js';
import { assignVariant } from '../../src/rollout/assign-variant.js';
import { parseRollout, type Rollout } from '../../src/rollout/rollout.js';
import type { RolloutDocument } from '../../src/rollout/rollout-document.js';
import type { ServingModel } from '../../src/serving/serving-set.js';
import type { CollectedRecord } from './collectors.js';

/** Problems found, by kind: how many and the first few, so a failure names records a person can look up. */
export class Findings {
  private readonly found = new Map<string, { count: number; examples: string[] }>();

  add(kind: string, example: string): void {
    const entry = this.found.get(kind) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < 5) entry.examples.push(example);
    this.found.set(kind, entry);
  }

  report(): Record<string, { count: number; examples: string[] }> {
    return Object.fromEntries(this.found);
  }
}

export type Prediction = CollectedRecord<ChurnPrediction>;

const where = (r: Prediction) =>
  `${r.value.event_id} (customer ${r.value.customerid}, ${r.value.source_topic}[${r.value.source_partition}]@${r.value.source_offset}, ` +
  `out [${r.partition}]@${r.offset}, ${r.value.model_version}/${r.value.variant} rev ${r.value.rollout_revision})`;

function groupBy<K>(records: readonly Prediction[], keyOf: (r: Prediction) => K): Map<K, Prediction[]> {
  const groups = new Map<K, Prediction[]>();
  for (const r of records) {
    const key = keyOf(r);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [r]);
    else list.push(r);
  }
  return groups;
}

/** Runs of records of one partition with consecutive offsets: each lies inside one committed transaction. */
export function offsetRuns(records: readonly Prediction[]): Prediction[][] {
  const runs: Prediction[][] = [];
  for (const list of groupBy(records, (r) => r.partition).values()) {
    list.sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    let run: Prediction[] = [];
    for (const r of list) {
      const last = run.at(-1);
      if (last !== undefined && BigInt(r.offset) !== BigInt(last.offset) + 1n) {
        runs.push(run);
        run = [];
      }
      run.push(r);
    }
    if (run.length > 0) runs.push(run);
  }
  return runs;
}

export interface RevisionFigures {
  events: number;
  variants: Record<string, number>;
  shadowRecords: number;
}

/**
 * Checks every live and shadow prediction against the rollout revision it names. What this proves from outside:
 * each record's version and variant are what that revision assigns the customer, its score is that version's, the
 * live and shadow records of an event (written in one transaction) name the same revision, the revision never goes
 * back on a partition (a restarted worker starts from the rollout in force, not from the local model), and a run of
 * records with consecutive offsets (no commit marker between them, so inside one transaction, since each output
 * partition is written by one input partition's producer) never mixes revisions, and no record is scored under a
 * revision before it was published or long after a newer one was (scored_at against published_at). What it cannot prove: that a
 * transaction spanning several output partitions used one revision throughout, or which worker scored a record;
 * the pipeline's unit tests prove that a transaction captures the serving set once when it opens.
 */
export function auditRollout(input: {
  live: readonly Prediction[];
  shadow: readonly Prediction[];
  documents: ReadonlyMap<number, RolloutDocument>;
  /** revision -> when it was published (epoch ms) */
  publishedAt: ReadonlyMap<number, number>;
  /** how long after a newer revision's publication a record may still be scored under an older one */
  takeUpMs: number;
  models: ReadonlyMap<string, ServingModel>;
  events: ReadonlyMap<string, CustomerEvent>;
}): {
  findings: Findings;
  figures: Map<number, RevisionFigures>;
  expectedShadowRecords: number;
  transactions: { live: number; shadow: number };
} {
  const { live, shadow, documents, publishedAt, models, events } = input;
  const findings = new Findings();
  const figures = new Map<number, RevisionFigures>();
  const rollouts = new Map<number, Rollout>();
  for (const [revision, document] of documents) rollouts.set(revision, parseRollout(document));

  const checkRecord = (r: Prediction, expectedVariant: string) => {
    const { value, headers } = r;
    if (value.variant !== expectedVariant) findings.add('variant', `${where(r)}: expected ${expectedVariant}`);
    if (
      headers['churn.variant'] !== value.variant ||
      headers['churn.model.version'] !== value.model_version ||
      headers['churn.rollout.revision'] !== String(value.rollout_revision)
    ) {
      findings.add('headers differ from the value', `${where(r)}: headers ${JSON.stringify(headers)}`);
    }
    if (value.replay) findings.add('replay flag on a live event', where(r));
    if (r.partition !== value.source_partition) findings.add('output partition is not the input partition', where(r));
    const event = events.get(value.event_id);
    const model = models.get(value.model_version);
    if (event === undefined || model === undefined) {
      findings.add('unknown event or model version', where(r));
      return;
    }
    const scored = predictCustomer(event, model.rules, model.model);
    if (!scored.ok || scored.churn_probability !== value.churn_probability) {
      findings.add(
        'score is not the named version’s',
        `${where(r)}: ${value.churn_probability} vs ${scored.ok ? scored.churn_probability : 'invalid'}`,
      );
    }
  };

  const shadowsByEvent = groupBy(shadow, (s) => s.value.event_id);
  const liveEvents = new Set<string>();
  let expectedShadowRecords = 0;

  for (const r of live) {
    const revision = r.value.rollout_revision;
    liveEvents.add(r.value.event_id);
    const rollout = rollouts.get(revision);
    if (rollout === undefined) {
      findings.add('revision never published', where(r));
      continue;
    }
    // Same host clock: the CLI stamps published_at before it sends; the worker stamps scored_at when it scores.
    const since = publishedAt.get(revision);
    if (since !== undefined && r.value.scored_at < since) {
      findings.add(
        'scored before its revision was published',
        `${where(r)}: published ${new Date(since).toISOString()}`,
      );
    }
    const superseded = publishedAt.get(revision + 1);
    if (superseded !== undefined && r.value.scored_at > superseded + input.takeUpMs) {
      findings.add(
        `scored under a revision superseded more than ${input.takeUpMs} ms before`,
        `${where(r)}: scored ${new Date(r.value.scored_at).toISOString()}, revision ${revision + 1} published ${new Date(superseded).toISOString()}`,
      );
    }
    const served = assignVariant(rollout, r.value.customerid);
    if (served.version !== r.value.model_version || served.variant !== r.value.variant) {
      findings.add(
        'not the version and variant the revision assigns',
        `${where(r)}: expected ${served.version}/${served.variant}`,
      );
    }
    checkRecord(r, served.variant);
    const figure = figures.get(revision) ?? { events: 0, variants: {}, shadowRecords: 0 };
    figure.events++;
    figure.variants[r.value.variant] = (figure.variants[r.value.variant] ?? 0) + 1;
    figures.set(revision, figure);

    // Every event, whichever variant serves it, gets one prediction per shadow of its revision.
    const wanted = rollout.shadows;
    expectedShadowRecords += wanted.length;
    const got = shadowsByEvent.get(r.value.event_id) ?? [];
    figure.shadowRecords += got.length;
    for (const version of wanted) {
      const count = got.filter((s) => s.value.model_version === version).length;
      if (count === 0) findings.add('shadow prediction missing', `${where(r)}: no ${version}`);
      if (count > 1) findings.add('shadow prediction duplicated', `${where(r)}: ${version} x${count}`);
    }
    for (const s of got) {
      if (!wanted.includes(s.value.model_version)) {
        findings.add('shadow prediction the revision does not ask for', `${where(s)} for live ${where(r)}`);
      }
      if (s.value.rollout_revision !== revision) {
        findings.add('shadow and live records name different revisions', `${where(s)} for live ${where(r)}`);
      }
      if (
        s.key !== r.key ||
        s.value.customerid !== r.value.customerid ||
        s.value.source_partition !== r.value.source_partition ||
        s.value.source_offset !== r.value.source_offset
      ) {
        findings.add('shadow key or source differs from the live record', `${where(s)} for live ${where(r)}`);
      }
      checkRecord(s, 'shadow');
    }
  }
  for (const [eventId, list] of shadowsByEvent) {
    if (!liveEvents.has(eventId)) findings.add('shadow prediction without a live one', where(list[0] as Prediction));
  }

  // Per input partition, in offset order, the revision never goes back (across both restarts too).
  for (const list of groupBy(live, (r) => r.value.source_partition).values()) {
    list.sort((a, b) => a.value.source_offset - b.value.source_offset);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1] as Prediction;
      const after = list[i] as Prediction;
      if (after.value.rollout_revision < before.value.rollout_revision) {
        findings.add('revision goes back on a partition', `${where(after)} after ${where(before)}`);
      }
    }
  }

  const liveRuns = offsetRuns(live);
  const shadowRuns = offsetRuns(shadow);
  for (const run of [...liveRuns, ...shadowRuns]) {
    const first = run[0] as Prediction;
    const other = run.find((r) => r.value.rollout_revision !== first.value.rollout_revision);
    if (other !== undefined) {
      findings.add('revision changes inside a transaction', `${where(other)} in the run starting at ${where(first)}`);
    }
  }
  return {
    findings,
    figures,
    expectedShadowRecords,
    transactions: { live: liveRuns.length, shadow: shadowRuns.length },
  };
}

import type { Admin } from 'kafkajs';
import { describe, expect } from 'vitest';
import type { ChurnPrediction } from '../../src/serde/avro-records.js';
import { TopicCollector, type CollectedRecord } from '../support/collectors.js';
import { customerEventEncoder, eventMessage, predictionDecoder, telcoEvents } from '../support/events.js';
import { must } from '../support/must.js';
import { test } from '../support/stream-fixture.js';

const EVENTS = 300;
const COMPARE_ID_HEADER = 'churn.compare.id';

/** Records written to a topic so far: the sum of its end offsets (transaction markers included). */
async function endOffsetSum(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, o) => sum + Number(o.high), 0);
}

interface Pair {
  champion: ChurnPrediction;
  candidate: ChurnPrediction;
}

/** The comparison's figures, recomputed here from the two predictions of each event, from their definitions. */
function recompute(pairs: readonly Pair[]) {
  const n = pairs.length;
  const champion = pairs.map((p) => p.champion.churn_probability);
  const candidate = pairs.map((p) => p.candidate.churn_probability);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const histogram = (xs: number[]) => {
    const bins = new Array<number>(10).fill(0);
    for (const x of xs) bins[Math.min(Math.floor(x * 10), 9)] = (bins[Math.min(Math.floor(x * 10), 9)] ?? 0) + 1;
    return bins.map((count) => Math.max(count / xs.length, 1e-4));
  };
  const e = histogram(champion);
  const a = histogram(candidate);
  const psi = e.reduce((sum, ei, i) => sum + ((a[i] ?? 0) - ei) * Math.log((a[i] ?? 0) / ei), 0);
  const riskiest = (xs: number[]) => {
    const cut = must([...xs].sort((x, y) => y - x)[Math.ceil(n / 4) - 1], 'the k-th highest score');
    return new Set(xs.flatMap((x, i) => (x >= cut ? [i] : [])));
  };
  const r1 = riskiest(champion);
  const r2 = riskiest(candidate);
  const both = [...r1].filter((i) => r2.has(i)).length;
  const churnsBefore = pairs.map((p) => p.champion.churn_probability >= p.champion.threshold);
  const churnsAfter = pairs.map((p) => p.candidate.churn_probability >= p.candidate.threshold);
  const toChurn = pairs.filter((_, i) => !churnsBefore[i] && churnsAfter[i]);
  const toNoChurn = pairs.filter((_, i) => churnsBefore[i] && !churnsAfter[i]);
  return {
    meanScore: [mean(champion), mean(candidate)],
    churnRate: [churnsBefore.filter(Boolean).length / n, churnsAfter.filter(Boolean).length / n],
    agreement: churnsBefore.filter((c, i) => c === churnsAfter[i]).length / n,
    meanAbsDelta: mean(pairs.map((p) => Math.abs(p.candidate.churn_probability - p.champion.churn_probability))),
    psi,
    jaccard: both / (r1.size + r2.size - both),
    toChurn: [toChurn.length, new Set(toChurn.map((p) => p.champion.customerid)).size],
    toNoChurn: [toNoChurn.length, new Set(toNoChurn.map((p) => p.champion.customerid)).size],
  };
}

/** The values printed after a row's label, e.g. "  mean score     0.2841     0.3012" -> ["0.2841", "0.3012"]. */
function row(output: string, label: string): string[] {
  const line = must(
    output.split('\n').find((l) => l.startsWith(`  ${label} `)),
    `a printed line "${label}" in:\n${output}`,
  );
  return line
    .slice(label.length + 2)
    .trim()
    .split(/\s+/);
}

const fixed = (x: number) => x.toFixed(4);

describe('replay --compare', () => {
  test(
    'rescores the range with the champion and the candidate into the shadow topic only, once each, and prints ' +
      'their comparison; --dry-run counts the range',
    { timeout: 300_000 },
    async ({ stream }) => {
      const { names, kafka, admin } = stream;
      await stream.createTopics();
      const worker = stream.startWorker();
      const predictions = await stream.collectPredictions();
      await worker.waitForReady();
      const encoder = await customerEventEncoder(names.customers);
      const events = telcoEvents(EVENTS);
      await stream.sendEvents(events.map((e) => eventMessage(encoder, e)));
      const ids = new Set(events.map((e) => e.event_id));
      await predictions.waitForAll(ids, 120_000, (p) => !p.replay);

      // Not published yet: one line, nothing copied.
      const early = await stream.runCli(['replay', '--from', '0', '--compare', '1.1.0'], {
        name: 'replay-unpublished',
        timeoutMs: 90_000,
      });
      expect(early.status, early.output).toEqual({ code: 1, signal: null });
      expect(early.output).toMatch(
        /churn-scorer: model 1\.1\.0 is not published on topic \S+ \(published: none\); publish it first: churn-scorer model publish models\/churn\/1\.1\.0\n/,
      );
      expect(early.output).not.toMatch(/\n\s+at /);
      expect(await endOffsetSum(admin, names.replay)).toBe(0);

      const publish = await stream.runCli(['model', 'publish', 'models/churn/1.1.0'], {
        name: 'model-publish',
        timeoutMs: 60_000,
      });
      expect(publish.status, publish.output).toEqual({ code: 0, signal: null });

      // --dry-run: the range per partition and in total, as the topic holds it; nothing is copied.
      const dry = await stream.runCli(['replay', '--from', '0', '--compare', '1.1.0', '--dry-run'], {
        name: 'replay-dry-run',
        timeoutMs: 90_000,
      });
      expect(dry.status, dry.output).toEqual({ code: 0, signal: null });
      const ends = await admin.fetchTopicOffsets(names.customers);
      expect(ends.reduce((sum, o) => sum + Number(o.high), 0)).toBe(EVENTS);
      expect(dry.output).toContain(`range: 3 partitions, ${EVENTS} records`);
      for (const end of ends) {
        expect(dry.output).toContain(`partition ${end.partition}: offsets [0, ${end.high}), ${end.high} records`);
      }
      expect(dry.output).toMatch(/expected ~\d+(\.\d)? s = setup [\d.]+ s \+ max\(copy [\d.]+ s, rescoring [\d.]+ s\)/);
      expect(await endOffsetSum(admin, names.replay)).toBe(0);
      // --customer: the sample reads the whole (small) range, so the count is exact, and says so.
      const chosen = [must(events[0], 'an event').customerid, must(events[1], 'an event').customerid];
      const matching = events.filter((e) => chosen.includes(e.customerid)).length;
      const dryCustomers = await stream.runCli(
        ['replay', '--from', '0', '--dry-run', ...chosen.flatMap((c) => ['--customer', c])],
        { name: 'replay-dry-run-customers', timeoutMs: 90_000 },
      );
      expect(dryCustomers.status, dryCustomers.output).toEqual({ code: 0, signal: null });
      expect(dryCustomers.output).toContain(
        `--customer: ${matching} of the ${EVENTS} records match (exact: the whole range was read)`,
      );

      const decoder = predictionDecoder();
      const shadow = await TopicCollector.start(kafka, names.shadow, (m) => decoder.decode(m.value));
      try {
        await predictions.drain(admin);
        const predictionsBefore = predictions.records.length;
        const predictionOffsetsBefore = await endOffsetSum(admin, names.predictions);

        const run = await stream.runCli(['replay', '--from', '0', '--compare', '1.1.0'], {
          name: 'replay-compare',
          timeoutMs: 240_000,
        });
        expect(run.status, run.output).toEqual({ code: 0, signal: null });
        const compareId = must(/\(compare id ([0-9a-f-]{36})\)/.exec(run.output)?.[1], 'the compare id printed');

        // The shadow topic: exactly one champion and one candidate prediction per event, with the compare id.
        await shadow.drain(admin);
        expect(shadow.decodeErrors).toEqual([]);
        const mine = shadow.records.filter((r) => r.headers[COMPARE_ID_HEADER] === compareId);
        expect(mine).toHaveLength(2 * EVENTS);
        const byEvent = new Map<string, CollectedRecord<ChurnPrediction>[]>();
        for (const record of mine)
          byEvent.set(record.value.event_id, [...(byEvent.get(record.value.event_id) ?? []), record]);
        expect([...byEvent.keys()].sort()).toEqual([...ids].sort());
        const pairs: Pair[] = [];
        for (const [id, records] of byEvent) {
          const champions = records.filter((r) => r.value.variant === 'champion');
          const candidates = records.filter((r) => r.value.variant === 'shadow');
          expect([champions.length, candidates.length], `event ${id}`).toEqual([1, 1]);
          const [champion, candidate] = [must(champions[0], 'champion'), must(candidates[0], 'candidate')];
          expect(champion.value).toMatchObject({ model_version: '1.0.0', replay: true, source_topic: names.replay });
          expect(candidate.value).toMatchObject({ model_version: '1.1.0', replay: true, source_topic: names.replay });
          expect([candidate.value.source_partition, candidate.value.source_offset]).toEqual([
            champion.value.source_partition,
            champion.value.source_offset,
          ]);
          pairs.push({ champion: champion.value, candidate: candidate.value });
        }

        // marketing's predictions: not one record more, not even a transaction marker.
        await predictions.drain(admin);
        expect(predictions.records.length).toBe(predictionsBefore);
        expect(await endOffsetSum(admin, names.predictions)).toBe(predictionOffsetsBefore);

        // The printed figures are the recomputed ones.
        const expected = recompute(pairs);
        expect(run.output).toContain(`compared on ${EVENTS} events`);
        expect(row(run.output, 'mean score')).toEqual(expected.meanScore.map(fixed));
        expect(row(run.output, 'churn rate')).toEqual(expected.churnRate.map(fixed));
        expect(row(run.output, 'agreement')).toEqual([fixed(expected.agreement)]);
        expect(row(run.output, 'mean |dp|')).toEqual([fixed(expected.meanAbsDelta)]);
        expect(row(run.output, 'PSI')).toEqual([fixed(expected.psi)]);
        expect(row(run.output, 'riskiest-quarter Jaccard')).toEqual([fixed(expected.jaccard)]);
        expect(row(run.output, 'decision changes').join(' ')).toBe(
          `${expected.toChurn[0]} no churn -> churn (${expected.toChurn[1]} customers), ` +
            `${expected.toNoChurn[0]} churn -> no churn (${expected.toNoChurn[1]} customers)`,
        );
        // The two models differ, so the comparison is not trivially perfect.
        expect(expected.meanAbsDelta).toBeGreaterThan(0);
        expect(run.output).toMatch(/expected ~[\d.]+ s, took [\d.]+ s \(\d+% off/);

        // No worker: the run gives up after --timeout, printing what arrived, with one line and exit 1.
        await worker.kill();
        const orphan = await stream.runCli(
          ['replay', '--from', '0', '--to', '10', '--compare', '1.1.0', '--timeout', '3'],
          {
            name: 'replay-no-worker',
            timeoutMs: 90_000,
          },
        );
        expect(orphan.status, orphan.output).toEqual({ code: 1, signal: null });
        expect(orphan.output).toMatch(/arrived so far: 0 of 30 copies have both predictions/);
        expect(orphan.output).toMatch(/churn-scorer: timed out after 3 s waiting for the worker's predictions: /);
      } finally {
        await shadow.stop();
      }
    },
  );
});

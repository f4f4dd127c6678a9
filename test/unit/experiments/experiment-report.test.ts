import { describe, expect, it } from 'vitest';
import { comparisonTables } from '../../../src/experiments/comparison-table.js';
import {
  experimentReport,
  shadowComparisons,
  type PublishedPrediction,
} from '../../../src/experiments/experiment-report.js';
import { seededRandom } from '../rollout/rollout-test-data.js';
import { closeFigures, plainShadow, plainVariant } from './plain-comparison.js';

const CUSTOMERS = 'customers';

function live(
  offset: number,
  fields: Partial<PublishedPrediction> & Pick<PublishedPrediction, 'score'>,
  partition = offset % 3,
): PublishedPrediction {
  return {
    variant: 'champion',
    modelVersion: '1.0.0',
    threshold: 0.5,
    rolloutRevision: 2,
    replay: false,
    sourceTopic: CUSTOMERS,
    sourcePartition: partition,
    sourceOffset: offset,
    compareId: null,
    ...fields,
  };
}

/**
 * Revision 1: champion only. Revision 2: a 30 % canary 1.1.0, a shadow 1.2.0 on every event (compared on the
 * champion's). Around them, what
 * the report must leave out: replays, `replay --compare` records, shadows of other revisions.
 */
function publishedTopics() {
  const random = seededRandom(42);
  const predictions: PublishedPrediction[] = [];
  const shadows: PublishedPrediction[] = [];
  let offset = 0;
  for (let i = 0; i < 200; i++) predictions.push(live(offset++, { score: random(), rolloutRevision: 1 }));
  for (let i = 0; i < 1_000; i++) {
    const score = random();
    const canary = random() < 0.3;
    const event = canary
      ? live(offset++, { score, variant: 'canary', modelVersion: '1.1.0', threshold: 0.4 })
      : live(offset++, { score });
    predictions.push(event);
    const shadowScore = Math.min(1, Math.max(0, score + (random() - 0.5) / 5));
    shadows.push({ ...event, variant: 'shadow', modelVersion: '1.2.0', threshold: 0.4, score: shadowScore });
  }
  // the replay of 50 events (replay=true on both topics), and a replay --compare run of 40 more
  for (let i = 0; i < 50; i++) {
    const event = live(i, { score: random(), replay: true, sourceTopic: 'customers.replay' });
    predictions.push(event);
    shadows.push({ ...event, variant: 'shadow', modelVersion: '1.2.0', score: random() });
  }
  for (let i = 0; i < 40; i++) {
    const event = live(i, { score: random(), replay: true, sourceTopic: 'customers.replay', compareId: 'run-1' });
    shadows.push(event, { ...event, variant: 'shadow', modelVersion: '1.2.0', score: random() });
  }
  // a shadow record whose live prediction is not on the topic (e.g. deleted by retention)
  shadows.push(live(1_000_000, { score: 0.5, variant: 'shadow', modelVersion: '1.2.0' }));
  return { predictions, shadows };
}

describe('experimentReport', () => {
  it('compares the highest revision by default: per variant and the shadow against the champion', () => {
    const { predictions, shadows } = publishedTopics();
    const report = experimentReport(predictions, shadows);
    expect(report.revision).toBe(2);
    expect(report.revisions).toEqual([1, 2]);

    const ofRevision2 = predictions.filter((p) => p.rolloutRevision === 2 && !p.replay);
    expect(report.variants.map((v) => [v.variant, v.version, v.threshold])).toEqual([
      ['champion', '1.0.0', 0.5],
      ['canary', '1.1.0', 0.4],
    ]);
    for (const v of report.variants) {
      const scores = ofRevision2.filter((p) => p.variant === v.variant).map((p) => p.score);
      expect(closeFigures({ ...v }, { ...plainVariant(scores, v.threshold) }), v.variant).toEqual([]);
    }
    expect(report.variants.reduce((n, v) => n + v.count, 0)).toBe(1_000);

    const championOf = new Map(
      ofRevision2.filter((p) => p.variant === 'champion').map((p) => [`${p.sourcePartition}/${p.sourceOffset}`, p]),
    );
    const pairs = shadows
      .filter((s) => !s.replay && s.rolloutRevision === 2)
      .flatMap((s) => {
        const champion = championOf.get(`${s.sourcePartition}/${s.sourceOffset}`);
        return champion === undefined ? [] : [[champion.score, s.score] as const];
      });
    expect(pairs.length).toBeGreaterThan(600);
    expect(pairs.length).toBeLessThan(shadows.filter((s) => !s.replay && s.rolloutRevision === 2).length - 200);
    expect(report.shadows).toHaveLength(1);
    // the canary's events are shadowed too, but compared with nothing: neither a pair nor unmatched
    expect(report.shadows[0]).toMatchObject({ version: '1.2.0', champion_version: '1.0.0', events: pairs.length });
    expect(closeFigures({ ...report.shadows[0] }, { ...plainShadow(pairs, 0.5, 0.4) })).toEqual([]);
    expect(report.unmatched_shadow_predictions).toBe(1);
  });

  it('compares the revision asked for', () => {
    const { predictions, shadows } = publishedTopics();
    const report = experimentReport(predictions, shadows, { revision: 1 });
    const scores = predictions.filter((p) => p.rolloutRevision === 1 && !p.replay).map((p) => p.score);
    expect(report.revision).toBe(1);
    expect(report.variants).toHaveLength(1);
    expect(closeFigures({ ...report.variants[0] }, { ...plainVariant(scores, 0.5) })).toEqual([]);
    expect(report.shadows).toEqual([]);
  });

  it('is empty, with no revision, when nothing live was published', () => {
    expect(experimentReport([], [])).toEqual({
      revision: null,
      revisions: [],
      variants: [],
      shadows: [],
      unmatched_shadow_predictions: 0,
    });
  });

  it('joins on the whole event: the same offset in another partition or topic is another event', () => {
    const champion = live(7, { score: 0.9 }, 0);
    const candidates = [
      { ...champion, variant: 'shadow', modelVersion: '1.1.0', score: 0.1 },
      { ...champion, sourcePartition: 1, variant: 'shadow', modelVersion: '1.1.0', score: 0.8 },
      { ...champion, sourceTopic: 'other', variant: 'shadow', modelVersion: '1.1.0', score: 0.8 },
    ];
    const { shadows, unmatched } = shadowComparisons([champion], candidates);
    expect(unmatched).toBe(2);
    expect(shadows[0]).toMatchObject({ events: 1, agreement: 0, mean_abs_delta: 0.9 - 0.1 });
  });

  it('compares the two records of a replay --compare run when handed them (what replay --compare reuses)', () => {
    const { shadows } = publishedTopics();
    const run = shadows.filter((s) => s.compareId === 'run-1');
    const { shadows: compared, unmatched } = shadowComparisons(
      run.filter((s) => s.variant === 'champion'),
      run.filter((s) => s.variant === 'shadow'),
    );
    expect(unmatched).toBe(0);
    expect(compared.map((s) => [s.version, s.champion_version, s.events])).toEqual([['1.2.0', '1.0.0', 40]]);
  });
});

describe('comparisonTables', () => {
  it('prints a row per variant and per shadow with rounded figures', () => {
    const { predictions, shadows } = publishedTopics();
    const report = experimentReport(predictions, shadows);
    const text = comparisonTables(report).join('\n');
    const champion = report.variants[0];
    expect(text).toMatch(/^variant\s+version\s+predictions\s+mean score\s+churned\s+churn rate\s+threshold$/m);
    expect(text).toContain(`champion  1.0.0`);
    expect(text).toMatch(
      new RegExp(`^champion\\s+1\\.0\\.0\\s+${champion?.count}\\s+${champion?.mean_score?.toFixed(4)}\\s`, 'm'),
    );
    expect(text).toMatch(/^canary\s+1\.1\.0\s+\d+/m);
    expect(text).toMatch(new RegExp(`^1\\.2\\.0\\s+1\\.0\\.0\\s+${report.shadows[0]?.events}\\s+\\d+\\.\\d\\d%`, 'm'));
  });

  it('says when there is nothing to compare', () => {
    expect(comparisonTables({ variants: [], shadows: [] })).toEqual([
      'variants: no live predictions',
      '',
      'shadows: none compared',
    ]);
  });
});

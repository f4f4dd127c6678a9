import { describe, expect, it } from 'vitest';
import { CompareTally, type ComparedPrediction } from '../../../src/replay/compare-tally.js';

const prediction = (
  partition: number,
  offset: number,
  role: ComparedPrediction['role'],
  score: number,
  customerid = `c-${partition}-${offset}`,
): ComparedPrediction => ({
  partition,
  offset,
  role,
  customerid,
  modelVersion: role === 'champion' ? '1.0.0' : '1.1.0',
  score,
  churn: score >= 0.5,
  threshold: 0.5,
});

/** events: [champion score, candidate score] at partition 0, offsets 0.. */
function tallyOf(events: [number, number][]): CompareTally {
  const tally = new CompareTally(events.length);
  events.forEach(([champion, candidate], i) => {
    tally.addPrediction(prediction(0, i, 'champion', champion));
    tally.addPrediction(prediction(0, i, 'candidate', candidate));
  });
  tally.expect(events.length);
  return tally;
}

describe('CompareTally', () => {
  it('pairs the two predictions of a copy by its partition and offset, whichever arrives first', () => {
    const tally = new CompareTally(3);
    tally.addPrediction(prediction(0, 5, 'candidate', 0.2));
    tally.addPrediction(prediction(1, 5, 'champion', 0.4));
    expect(tally.progress()).toMatchObject({ paired: 0, championOnly: 1, candidateOnly: 1 });
    tally.addPrediction(prediction(0, 5, 'champion', 0.3));
    expect(tally.progress()).toMatchObject({ paired: 1, championOnly: 1, candidateOnly: 0 });
    expect(tally.summary().meanAbsDelta).toBeCloseTo(0.1, 12);
  });

  it('is complete only once it knows how many copies there are and each is paired or dead-lettered', () => {
    const tally = new CompareTally(3);
    tally.addPrediction(prediction(0, 0, 'champion', 0.1));
    tally.addPrediction(prediction(0, 0, 'candidate', 0.1));
    tally.addDeadLetter({ partition: 0, offset: 1, reason: 'invalid-customer' });
    expect(tally.isComplete()).toBe(false);
    tally.expect(3);
    expect(tally.isComplete()).toBe(false);
    tally.addPrediction(prediction(2, 0, 'champion', 0.9));
    expect(tally.isComplete()).toBe(false);
    tally.addPrediction(prediction(2, 0, 'candidate', 0.8));
    expect(tally.isComplete()).toBe(true);
    expect(tally.summary().deadLettered).toEqual({ 'invalid-customer': 1 });
    expect(tally.deadLettered('invalid-customer')).toBe(1);
    expect(tally.deadLettered('compare-model-unknown')).toBe(0);
  });

  it('counts a second record of the same copy and role as a duplicate, not as an event', () => {
    const tally = new CompareTally(1);
    tally.addPrediction(prediction(0, 0, 'champion', 0.1));
    tally.addPrediction(prediction(0, 0, 'champion', 0.2));
    tally.addPrediction(prediction(0, 0, 'candidate', 0.3));
    tally.addPrediction(prediction(0, 0, 'candidate', 0.3));
    tally.addDeadLetter({ partition: 0, offset: 0, reason: 'score-failed' });
    const summary = tally.summary();
    expect(summary.events).toBe(1);
    expect(summary.duplicates).toBe(3);
    // the first champion record counts
    expect(summary.champion.meanScore).toBe(0.1);
  });

  it('computes each side, the comparison and the decision changes from the pairs', () => {
    const events: [number, number][] = [
      [0.1, 0.2],
      [0.6, 0.4], // churn -> no churn
      [0.7, 0.9],
      [0.3, 0.55], // no churn -> churn
    ];
    const summary = tallyOf(events).summary();
    expect(summary.events).toBe(4);
    expect(summary.champion.meanScore).toBeCloseTo((0.1 + 0.6 + 0.7 + 0.3) / 4, 12);
    expect(summary.candidate.meanScore).toBeCloseTo((0.2 + 0.4 + 0.9 + 0.55) / 4, 12);
    expect(summary.champion.churnRate).toBe(0.5);
    expect(summary.candidate.churnRate).toBe(0.5);
    expect(summary.champion.versions).toEqual({ '1.0.0': 4 });
    expect(summary.candidate.versions).toEqual({ '1.1.0': 4 });
    expect(summary.agreement).toBe(0.5);
    expect(summary.meanAbsDelta).toBeCloseTo((0.1 + 0.2 + 0.2 + 0.25) / 4, 12);
    // riskiest quarter (1 event): 0.7 for the champion, 0.9 for the candidate: the same event
    expect(summary.riskiestQuartileJaccard).toBe(1);
    expect(summary.riskiestQuartileExact).toBe(true);
    expect(summary.toChurn).toEqual({ events: 1, customers: 1 });
    expect(summary.toNoChurn).toEqual({ events: 1, customers: 1 });
    expect(summary.psi).toBeGreaterThan(0);
    expect(summary.thresholdsMixed).toBe(false);
  });

  it('counts the customers that change decision once, however many of their events do', () => {
    const tally = new CompareTally(3);
    for (let i = 0; i < 3; i++) {
      tally.addPrediction(prediction(0, i, 'champion', 0.2, 'same-customer'));
      tally.addPrediction(prediction(0, i, 'candidate', 0.8, 'same-customer'));
    }
    expect(tally.summary().toChurn).toEqual({ events: 3, customers: 1 });
  });

  it('says nothing but counts before the first pair', () => {
    const summary = new CompareTally(0).summary();
    expect(summary).toMatchObject({
      events: 0,
      agreement: null,
      meanAbsDelta: null,
      psi: null,
      riskiestQuartileJaccard: null,
      champion: { meanScore: null, churnRate: null, threshold: null },
    });
  });

  it('notes a pair at other thresholds than the first', () => {
    const tally = new CompareTally(2);
    tally.addPrediction(prediction(0, 0, 'champion', 0.1));
    tally.addPrediction(prediction(0, 0, 'candidate', 0.1));
    tally.addPrediction({ ...prediction(0, 1, 'champion', 0.1), threshold: 0.4 });
    tally.addPrediction(prediction(0, 1, 'candidate', 0.1));
    expect(tally.summary().thresholdsMixed).toBe(true);
  });

  it('keeps the riskiest-quarter overlap exact up to the range size it was made for', () => {
    const n = 20_000;
    const tally = new CompareTally(n);
    for (let i = 0; i < n; i++) {
      tally.addPrediction(prediction(0, i, 'champion', i / n));
      tally.addPrediction(prediction(0, i, 'candidate', (n - 1 - i) / n));
    }
    const summary = tally.summary();
    expect(summary.riskiestQuartileExact).toBe(true);
    expect(summary.riskiestQuartileEvents).toBe(n);
    // reversed scores: the two riskiest quarters do not meet
    expect(summary.riskiestQuartileJaccard).toBe(0);
  });
});

import { exactSampleCapacity, ShadowComparison } from '../rollout/shadow-comparison.js';
import { VariantStats } from '../rollout/variant-stats.js';
import {
  COMPARISON_BINS,
  compareShadows,
  compareVariants,
  shadowView,
  variantView,
  type ComparisonView,
  type ShadowView,
} from './comparison-view.js';

/** One prediction record as published (ChurnPrediction's fields that matter here, and its compare header). */
export interface PublishedPrediction {
  /** champion, canary, ab (live) or shadow */
  readonly variant: string;
  readonly modelVersion: string;
  readonly score: number;
  readonly threshold: number;
  readonly rolloutRevision: number;
  readonly replay: boolean;
  /** the scored event: source_topic, source_partition, source_offset */
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: number;
  /** the churn.compare.id header of a `replay --compare` record; null on every other prediction */
  readonly compareId: string | null;
}

/** What `experiment report` prints: the comparison of one rollout revision, recomputed from the topics. */
export interface ExperimentReport extends ComparisonView {
  /** the revision compared; null when the predictions topic holds no live prediction */
  readonly revision: number | null;
  /** every rollout revision of a live prediction on the predictions topic, ascending */
  readonly revisions: readonly number[];
  /** shadow predictions of the revision with no live prediction of the same event */
  readonly unmatched_shadow_predictions: number;
}

export interface ExperimentReportOptions {
  /** the revision to compare; default: the highest one on the predictions topic */
  readonly revision?: number | undefined;
}

/**
 * The comparison of a rollout revision recomputed from what the stream published (pure): `live` are the
 * records of the predictions topic, `shadow` those of the shadow topic. Replays and `replay --compare`
 * records are left out: an experiment is what live traffic got. Per (variant, version) of the revision's live
 * predictions, a VariantStats; per shadow version, its predictions of the events the champion served joined to
 * the live champion prediction of the same event (source topic, partition and offset) in a ShadowComparison. These are the same accumulators
 * and views the running worker's ExperimentTracker uses, so GET /experiments and this report agree on the
 * events both saw.
 */
export function experimentReport(
  live: Iterable<PublishedPrediction>,
  shadow: Iterable<PublishedPrediction>,
  options: ExperimentReportOptions = {},
): ExperimentReport {
  const published = [...live].filter(isLive);
  const revisions = [...new Set(published.map((p) => p.rolloutRevision))].sort((a, b) => a - b);
  const revision = options.revision ?? revisions.at(-1) ?? null;
  const ofRevision = published.filter((p) => p.rolloutRevision === revision);

  const variants = new Map<string, { variant: string; version: string; stats: VariantStats }>();
  for (const p of ofRevision) {
    const key = `${p.variant}\u0000${p.modelVersion}`;
    let entry = variants.get(key);
    if (entry === undefined) {
      entry = {
        variant: p.variant,
        version: p.modelVersion,
        stats: new VariantStats({ threshold: p.threshold, bins: COMPARISON_BINS }),
      };
      variants.set(key, entry);
    }
    entry.stats.add(p.score);
  }

  // A shadow scores every event; it is compared with the champion on the champion's events only.
  const servedByChallenger = new Set(ofRevision.filter((p) => p.variant !== 'champion').map(eventKey));
  const shadows = [...shadow].filter(
    (p) =>
      isLive(p) && p.variant === 'shadow' && p.rolloutRevision === revision && !servedByChallenger.has(eventKey(p)),
  );
  const joined = shadowComparisons(
    ofRevision.filter((p) => p.variant === 'champion'),
    shadows,
  );
  return {
    revision,
    revisions,
    variants: [...variants.values()]
      .map(({ variant, version, stats }) => variantView(variant, version, stats))
      .sort(compareVariants),
    shadows: joined.shadows,
    unmatched_shadow_predictions: joined.unmatched,
  };
}

/**
 * Each candidate's predictions against the champion's on the same events (pure): every record of `candidates`
 * is joined to the record of `champions` with the same source topic, partition and offset, and the pairs are
 * compared per (candidate version, champion version). Offline, the riskiest-quarter overlap is exact up to
 * 2^20 events per candidate (the live tracker's sample is smaller).
 */
export function shadowComparisons(
  champions: Iterable<PublishedPrediction>,
  candidates: Iterable<PublishedPrediction>,
): { shadows: ShadowView[]; unmatched: number } {
  const championOf = new Map<string, PublishedPrediction>();
  for (const p of champions) {
    const key = eventKey(p);
    if (!championOf.has(key)) championOf.set(key, p);
  }
  const pairs = new Map<
    string,
    { candidate: PublishedPrediction; champion: PublishedPrediction; scores: [number, number][] }
  >();
  let unmatched = 0;
  for (const candidate of candidates) {
    const champion = championOf.get(eventKey(candidate));
    if (champion === undefined) {
      unmatched += 1;
      continue;
    }
    const key = `${candidate.modelVersion}\u0000${champion.modelVersion}`;
    let entry = pairs.get(key);
    if (entry === undefined) {
      entry = { candidate, champion, scores: [] };
      pairs.set(key, entry);
    }
    entry.scores.push([champion.score, candidate.score]);
  }
  const shadows = [...pairs.values()].map(({ candidate, champion, scores }) => {
    const comparison = new ShadowComparison({
      championThreshold: champion.threshold,
      shadowThreshold: candidate.threshold,
      bins: COMPARISON_BINS,
      sampleCapacity: exactSampleCapacity(scores.length),
    });
    for (const [championScore, candidateScore] of scores) comparison.add(championScore, candidateScore);
    return shadowView(candidate.modelVersion, champion.modelVersion, comparison);
  });
  return { shadows: shadows.sort(compareShadows), unmatched };
}

function isLive(p: PublishedPrediction): boolean {
  return !p.replay && p.compareId === null;
}

function eventKey(p: PublishedPrediction): string {
  return `${p.sourceTopic}\u0000${p.sourcePartition}\u0000${p.sourceOffset}`;
}

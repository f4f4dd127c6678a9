import type { PredictionOutcome } from '../serde/avro-records.js';
import { BANDIT_REWARDS } from '../rollout/rollout-document.js';
import { ipsEstimate, type IpsTable } from './ips-estimate.js';
import {
  compareVersionVariant,
  realizedFigures,
  scoredOutcomeOf,
  versionVariantKey,
  type ScoredOutcome,
} from './realized-performance.js';
import type { RealizedVersionView } from './realized-tracker.js';

/** A record of the joined topic and where it was read. */
export interface JoinedTopicRecord {
  readonly record: PredictionOutcome;
  readonly partition: number;
  readonly offset: bigint;
}

/** The realized part of `experiment report`: the joined topic, recomputed. */
export interface RealizedReport {
  readonly topic: string;
  /** records read, by kind */
  readonly joined: number;
  readonly expired_predictions: number;
  readonly unmatched_outcomes: number;
  /** records of another kind, or 'joined' records missing what the figures need: left out */
  readonly other: number;
  /** the figures are over each version and variant's last `last` joins; null: over all of them */
  readonly last: number | null;
  /** by version, then variant: the items of GET /experiments' realized.versions, over the topic */
  readonly versions: readonly RealizedVersionView[];
  /** the inverse-propensity estimate of each served version, one table per reward, over every joined record */
  readonly ips: readonly IpsTable[];
}

export interface RealizedReportOptions {
  /** only each (version, variant)'s last this many joins, as the live window keeps them */
  readonly last?: number | undefined;
}

/**
 * Realized performance per (model version, variant) and the IPS tables from the records of the joined topic (pure).
 * "Last" is by joined_at (when the join wrote the record), then partition and offset: records of a customer are
 * ordered on their partition, and joined_at orders the partitions among each other as a worker committed them.
 * The IPS tables always take every joined record: weighting by the logged probabilities needs every logged
 * decision, and a cut per version would break it.
 */
export function realizedReport(
  topic: string,
  records: readonly JoinedTopicRecord[],
  options: RealizedReportOptions = {},
): RealizedReport {
  const ordered = [...records].sort(compareWritten);
  const groups = new Map<string, { version: string; variant: string; outcomes: ScoredOutcome[]; expired: number }>();
  const groupOf = (version: string, variant: string) => {
    const key = versionVariantKey(version, variant);
    let group = groups.get(key);
    if (group === undefined) {
      group = { version, variant, outcomes: [], expired: 0 };
      groups.set(key, group);
    }
    return group;
  };
  let joined = 0;
  let expired = 0;
  let unmatched = 0;
  let other = 0;
  for (const { record } of ordered) {
    if (record.kind === 'unmatched-outcome') {
      unmatched++;
    } else if (record.kind === 'expired-prediction' && record.model_version !== null && record.variant !== null) {
      expired++;
      groupOf(record.model_version, record.variant).expired++;
    } else {
      const scored = scoredOutcomeOf(record);
      if (scored === null) {
        other++;
        continue;
      }
      joined++;
      groupOf(scored.version, scored.variant).outcomes.push(scored);
    }
  }
  const last = options.last ?? null;
  const values = ordered.map(({ record }) => record);
  return {
    topic,
    joined,
    expired_predictions: expired,
    unmatched_outcomes: unmatched,
    other,
    last,
    versions: [...groups.values()]
      .map(({ version, variant, outcomes, expired: expiredOfVersion }) => ({
        version,
        variant,
        ...realizedFigures(last === null ? outcomes : outcomes.slice(-last)),
        joined: outcomes.length,
        expired: expiredOfVersion,
      }))
      .sort(compareVersionVariant),
    ips: BANDIT_REWARDS.map((reward) => ipsEstimate(values, reward)),
  };
}

function compareWritten(a: JoinedTopicRecord, b: JoinedTopicRecord): number {
  return (
    a.record.joined_at - b.record.joined_at ||
    a.partition - b.partition ||
    (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0)
  );
}

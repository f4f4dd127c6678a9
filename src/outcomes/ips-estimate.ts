import { rewardOf } from '../bandit/bandit-reward.js';
import type { BanditReward } from '../rollout/rollout-document.js';
import type { PredictionOutcome } from '../serde/avro-records.js';

/*
 * Off-policy evaluation of the served versions (pure, issue 13, item 4): every served prediction logs the
 * probability with which the rollout in force chose its variant (assignment_probability), so the joined records
 * estimate what each version would have earned had it served everyone (inverse propensity scoring):
 *
 *     V(v) = (1/n) * sum over the records of reward * 1{version == v} / assignment_probability
 *
 * over the 'joined' records of served variants (not 'shadow': a shadow decides nothing) that carry the reward;
 * n counts them all, whatever their version.
 */

/** One served version's estimate. */
export interface IpsVersionEstimate {
  readonly version: string;
  /** the version's records among the n */
  readonly records: number;
  /** of which rewarded (reward 1) */
  readonly rewarded: number;
  /** plain mean reward of the version's records (what it earned where it served); null without a record */
  readonly mean_reward: number | null;
  /** the inverse-propensity estimate V(v); null when n = 0 */
  readonly ips: number | null;
}

export interface IpsTable {
  readonly reward: BanditReward;
  /** joined records of served variants carrying the reward, with a usable assignment probability */
  readonly n: number;
  /** joined records of served variants carrying the reward left out: no assignment probability in (0, 1] */
  readonly without_propensity: number;
  /** by version */
  readonly versions: readonly IpsVersionEstimate[];
}

/**
 * The IPS estimate and plain mean reward of every served version among `records` (PredictionOutcome records of
 * the joined topic). A record whose assignment_probability is missing or outside (0, 1] cannot be weighted: it is
 * counted in `without_propensity` and left out of n.
 */
export function ipsEstimate(records: Iterable<PredictionOutcome>, reward: BanditReward): IpsTable {
  const versions = new Map<string, { records: number; rewarded: number; weighted: number }>();
  let n = 0;
  let withoutPropensity = 0;
  for (const record of records) {
    if (record.kind !== 'joined' || record.variant === null || record.variant === 'shadow') continue;
    if (record.model_version === null) continue;
    // The bandit's own definition of the rewards (src/bandit/bandit-reward.ts), so the estimate judges what it steers by.
    const r = rewardOf(reward, record);
    if (r === undefined) continue;
    const propensity = record.assignment_probability;
    if (propensity === null || !(propensity > 0 && propensity <= 1)) {
      withoutPropensity++;
      continue;
    }
    n++;
    let version = versions.get(record.model_version);
    if (version === undefined) {
      version = { records: 0, rewarded: 0, weighted: 0 };
      versions.set(record.model_version, version);
    }
    version.records++;
    version.rewarded += r;
    version.weighted += r / propensity;
  }
  return {
    reward,
    n,
    without_propensity: withoutPropensity,
    versions: [...versions]
      .map(([version, v]) => ({
        version,
        records: v.records,
        rewarded: v.rewarded,
        mean_reward: v.records === 0 ? null : v.rewarded / v.records,
        ips: n === 0 ? null : v.weighted / n,
      }))
      .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0)),
  };
}

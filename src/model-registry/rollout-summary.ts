import type { RolloutDocument } from '../rollout/rollout-document.js';

export type RolloutRole = 'champion' | 'canary' | 'ab' | 'bandit' | 'shadow';

/** A version of a rollout, its role and its share of the customers (none for a shadow). */
export interface RolloutShare {
  readonly version: string;
  readonly role: RolloutRole;
  /** percent of the customers it serves; undefined for a shadow, which serves nobody */
  readonly percent: number | undefined;
}

/** The versions of a rollout with their roles and shares (pure): the champion first, then as listed. */
export function rolloutShares(document: RolloutDocument): RolloutShare[] {
  const challengers = document.challengers ?? [];
  // In whole buckets (0.01 %), as the assignment counts them, so the shares add up to 100 exactly.
  const challengerBuckets = challengers.reduce((sum, c) => sum + Math.round(c.weight * 100), 0);
  return [
    { version: document.champion, role: 'champion', percent: (10_000 - challengerBuckets) / 100 },
    ...challengers.map((c) => ({ version: c.version, role: c.kind, percent: c.weight })),
    ...(document.shadows ?? []).map((version) => ({ version, role: 'shadow' as const, percent: undefined })),
  ];
}

/** "champion 1.0.0 90%, canary 1.1.0 10%, shadow 1.2.0" */
export function rolloutOneLine(document: RolloutDocument): string {
  return rolloutShares(document)
    .map((s) => `${s.role} ${s.version}${s.percent === undefined ? '' : ` ${formatPercent(s.percent)}`}`)
    .join(', ');
}

/** "10%", "12.5%", "0.01%" */
export function formatPercent(percent: number): string {
  return `${Number(percent.toFixed(2))}%`;
}

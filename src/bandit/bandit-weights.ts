/** Buckets in one percent: a weight is a whole number of buckets (0.01 %), as the rollout lays customers out. */
const BUCKETS_PER_PERCENT = 100;
const ALL_BUCKETS = 100 * BUCKETS_PER_PERCENT;

/**
 * The arms' weights in percent, in steps of 0.01 (one bucket), adding up to exactly 100, each within
 * [floor, ceiling] (pure). The target shares `shares` (P(best) per arm, adding up to 1) are clipped by taking the
 * closest point of {floor <= w <= ceiling, sum w = 100}: w_i = clamp(100 * share_i + shift, floor, ceiling) with the
 * one shift that makes them add up to 100 (0 when no share is outside the bounds). Then whole buckets: each
 * weight rounded down, and the buckets left over go one each to the largest remainders (ties: the earlier arm).
 * Requires floor * n <= 100 <= ceiling * n (the rollout document's rule), floor and ceiling in 0.01 steps.
 */
export function boundedWeights(shares: readonly number[], floor: number, ceiling: number): number[] {
  const n = shares.length;
  const low = Math.round(floor * BUCKETS_PER_PERCENT);
  const high = Math.round(ceiling * BUCKETS_PER_PERCENT);
  if (n === 0 || low * n > ALL_BUCKETS || high * n < ALL_BUCKETS || low > high) {
    throw new RangeError(`no weights of ${n} arms within ${floor}%..${ceiling}% add up to 100%`);
  }
  if (shares.some((s) => !Number.isFinite(s) || s < 0)) {
    throw new RangeError(`shares must be finite and non-negative, got ${shares.join(', ')}`);
  }
  const total = shares.reduce((sum, s) => sum + s, 0);
  const targets = shares.map((s) => (total > 0 ? (s / total) * ALL_BUCKETS : ALL_BUCKETS / n));
  const clamp = (value: number) => Math.min(high, Math.max(low, value));
  const sumAt = (shift: number) => targets.reduce((sum, t) => sum + clamp(t + shift), 0);
  // sumAt grows with the shift from n * low (<= 10,000) to n * high (>= 10,000): bisect for 10,000.
  let below = -ALL_BUCKETS;
  let above = ALL_BUCKETS;
  for (let i = 0; i < 100 && above - below > 1e-9; i++) {
    const middle = (below + above) / 2;
    if (sumAt(middle) < ALL_BUCKETS) below = middle;
    else above = middle;
  }
  const exact = targets.map((t) => clamp(t + (below + above) / 2));
  const buckets = exact.map((w) => Math.floor(w + 1e-9));
  let left = ALL_BUCKETS - buckets.reduce((sum, b) => sum + b, 0);
  // Largest remainder first; the earlier arm on a tie. Bounds hold: a bucket goes only to an arm below its ceiling
  // and comes only from an arm above its floor.
  const order = exact
    .map((w, i) => ({ i, rest: w - Math.floor(w + 1e-9) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  while (left > 0) {
    const next = order.find(({ i }) => (buckets[i] as number) < high);
    if (next === undefined) break;
    buckets[next.i] = (buckets[next.i] as number) + 1;
    order.splice(order.indexOf(next), 1);
    order.push(next);
    left--;
  }
  while (left < 0) {
    const next = [...order].reverse().find(({ i }) => (buckets[i] as number) > low);
    if (next === undefined) break;
    buckets[next.i] = (buckets[next.i] as number) - 1;
    left++;
  }
  return buckets.map((b) => b / BUCKETS_PER_PERCENT);
}

/** n arms sharing 100% as equally as whole buckets allow, the earlier arms taking the odd buckets (33.34, 33.33, 33.33). */
export function equalWeights(n: number, floor: number, ceiling: number): number[] {
  return boundedWeights(
    Array.from({ length: n }, () => 1),
    floor,
    ceiling,
  );
}

/** Score histograms have 10 or 20 equal bins on [0, 1]. */
export type ScoreBinCount = 10 | 20;

/**
 * The bin of a probability (pure): floor(score * bins), so bin i holds [i/bins, (i+1)/bins) (as rounded in
 * floating point), and the last bin also holds 1.
 * Throws a RangeError for what is not a probability: a model never scores outside [0, 1], so such a value is a
 * bug upstream, and counting it anywhere would hide it.
 */
export function scoreBin(score: number, bins: ScoreBinCount): number {
  if (!(score >= 0 && score <= 1)) throw new RangeError(`a score must be a probability in [0, 1], got ${score}`);
  return Math.min(Math.floor(score * bins), bins - 1);
}

/** What an empty bin's share counts as in the PSI, where 0 would make ln(a/e) infinite. */
export const PSI_EMPTY_BIN_SHARE = 1e-4;

/**
 * Population stability index of two histograms over the same bins (pure):
 *
 *     PSI = sum over bins i of (a_i - e_i) * ln(a_i / e_i)
 *
 * where e_i and a_i are bin i's share of the expected (the reference, e.g. the champion's scores) and the
 * actual counts, each raised to PSI_EMPTY_BIN_SHARE when smaller (so an empty bin counts as 0.01 %; a bin empty
 * on both sides adds 0). 0 means the same distribution; the usual reading is < 0.1 stable, 0.1-0.25 a moderate
 * shift, > 0.25 a large one. Null when either histogram is empty.
 */
export function populationStabilityIndex(expected: ArrayLike<number>, actual: ArrayLike<number>): number | null {
  if (expected.length !== actual.length) {
    throw new RangeError(`PSI needs histograms over the same bins, got ${expected.length} and ${actual.length} bins`);
  }
  const expectedTotal = total(expected);
  const actualTotal = total(actual);
  if (expectedTotal === 0 || actualTotal === 0) return null;
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max((expected[i] ?? 0) / expectedTotal, PSI_EMPTY_BIN_SHARE);
    const a = Math.max((actual[i] ?? 0) / actualTotal, PSI_EMPTY_BIN_SHARE);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

function total(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i] ?? 0;
  return sum;
}

/** Adds `from`'s counts to `into`'s, bin by bin (histograms of the same bins). */
export function addCounts(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

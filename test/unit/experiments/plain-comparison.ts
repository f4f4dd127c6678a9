/**
 * The comparison's figures computed the plain way, from their definitions (src/rollout/README.md), with none of
 * src/rollout's accumulators: what the tracker, the report and `experiment report` are checked against.
 */

export interface PlainVariant {
  count: number;
  mean_score: number | null;
  histogram: number[];
  churned: number;
  churn_rate: number | null;
}

export function plainVariant(scores: readonly number[], threshold: number): PlainVariant {
  const histogram = new Array<number>(10).fill(0);
  let sum = 0;
  let churned = 0;
  for (const s of scores) {
    const bin = Math.min(9, Math.floor(s * 10));
    histogram[bin] = (histogram[bin] ?? 0) + 1;
    sum += s;
    if (s >= threshold) churned += 1;
  }
  const n = scores.length;
  return {
    count: n,
    mean_score: n === 0 ? null : sum / n,
    histogram,
    churned,
    churn_rate: n === 0 ? null : churned / n,
  };
}

export interface PlainShadow {
  events: number;
  agreement: number | null;
  mean_abs_delta: number | null;
  psi: number | null;
  riskiest_quartile_jaccard: number | null;
}

/** `pairs[i]` = [champion score, shadow score] of event i. */
export function plainShadow(
  pairs: readonly (readonly [number, number])[],
  championThreshold: number,
  shadowThreshold: number,
): PlainShadow {
  const n = pairs.length;
  if (n === 0) return { events: 0, agreement: null, mean_abs_delta: null, psi: null, riskiest_quartile_jaccard: null };
  let agree = 0;
  let absDelta = 0;
  for (const [c, s] of pairs) {
    if (c >= championThreshold === s >= shadowThreshold) agree += 1;
    absDelta += Math.abs(s - c);
  }
  const champion = plainVariant(
    pairs.map((p) => p[0]),
    championThreshold,
  ).histogram;
  const shadow = plainVariant(
    pairs.map((p) => p[1]),
    shadowThreshold,
  ).histogram;
  let psi = 0;
  for (let i = 0; i < 10; i++) {
    const e = Math.max((champion[i] ?? 0) / n, 0.0001);
    const a = Math.max((shadow[i] ?? 0) / n, 0.0001);
    psi += (a - e) * Math.log(a / e);
  }
  const k = Math.ceil(n / 4);
  const riskiest = (side: 0 | 1): Set<number> => {
    const cut = pairs.map((p) => p[side]).sort((x, y) => y - x)[k - 1] ?? 0;
    return new Set(pairs.flatMap((p, i) => (p[side] >= cut ? [i] : [])));
  };
  const a = riskiest(0);
  const b = riskiest(1);
  const both = [...a].filter((i) => b.has(i)).length;
  return {
    events: n,
    agreement: agree / n,
    mean_abs_delta: absDelta / n,
    psi,
    riskiest_quartile_jaccard: both / new Set([...a, ...b]).size,
  };
}

/** Number fields equal to 12 significant digits (the accumulators sum in another order than a plain loop may). */
export function closeFigures(actual: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key];
    if (typeof want === 'number' && typeof got === 'number') {
      if (Math.abs(got - want) > 1e-12 * Math.max(1, Math.abs(want))) problems.push(`${key}: ${got} != ${want}`);
    } else if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`${key}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
    }
  }
  return problems;
}

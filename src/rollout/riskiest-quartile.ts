/**
 * How far two models agree on whom to retain: the Jaccard index |A ∩ B| / |A ∪ B| of their riskiest quarters
 * of the same n events (pure; `champion[i]` and `shadow[i]` are the two scores of event i). With
 * k = ceil(n / 4), a model's riskiest quarter is every event it scores at or above its k-th highest score: ties
 * at the cut are all in, so a set may hold more than k events, and the result does not depend on the events'
 * order. 1: the same events; about 1/7 for scores that are unrelated. Null for no events.
 */
export function riskiestQuartileJaccard(champion: Float64Array, shadow: Float64Array): number | null {
  const n = champion.length;
  if (shadow.length !== n) throw new RangeError(`need two scores per event, got ${n} and ${shadow.length}`);
  if (n === 0) return null;
  const championCut = kthHighest(champion, Math.ceil(n / 4));
  const shadowCut = kthHighest(shadow, Math.ceil(n / 4));
  let both = 0;
  let either = 0;
  for (let i = 0; i < n; i++) {
    const inChampion = (champion[i] ?? 0) >= championCut;
    const inShadow = (shadow[i] ?? 0) >= shadowCut;
    if (inChampion && inShadow) both += 1;
    if (inChampion || inShadow) either += 1;
  }
  return both / either;
}

function kthHighest(scores: Float64Array, k: number): number {
  // A typed array sorts numerically, ascending.
  return scores.slice().sort()[scores.length - k] ?? 0;
}

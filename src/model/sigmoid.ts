/**
 * Logistic function, split by sign so exp never overflows: for z >= 0, 1/(1+e^-z); for z < 0, e^z/(1+e^z).
 * scipy's expit (what sklearn's predict_proba uses) computes 1/(1+e^-z) everywhere; the two agree to a few
 * ulps where both are finite, and this form keeps tiny probabilities (z < -709) instead of flushing to 0.
 */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

// Anomaly scores over a metric's windows: z-score against trailing windows, and an EWMA control band.

export interface ZScore {
  score: number;
  mean: number;
  std: number;
}

/**
 * How many standard deviations `x` lies from the mean of `history` (population σ).
 * A flat history (σ = 0) scores 0 for the same value and ±∞ for any other.
 */
export function zScore(history: readonly number[], x: number): ZScore {
  const n = history.length;
  const mean = n ? history.reduce((a, b) => a + b, 0) / n : 0;
  const variance = n ? history.reduce((a, b) => a + (b - mean) ** 2, 0) / n : 0;
  const std = Math.sqrt(variance);
  const d = x - mean;
  const score = std > 0 ? d / std : d === 0 ? 0 : d > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return { score, mean, std };
}

export interface EwmaState {
  mean: number;
  variance: number;
  n: number;
}

export const EWMA_START: EwmaState = { mean: 0, variance: 0, n: 0 };

/**
 * Scores `x` against the exponentially weighted mean and variance so far (weight `alpha` for the newest
 * value), then folds `x` in. The score is in standard deviations, like a z-score.
 */
export function ewmaStep(
  state: EwmaState,
  x: number,
  alpha: number,
): { score: number; expected: number; next: EwmaState } {
  if (state.n === 0) return { score: 0, expected: x, next: { mean: x, variance: 0, n: 1 } };
  const d = x - state.mean;
  const std = Math.sqrt(state.variance);
  const score = std > 0 ? d / std : d === 0 ? 0 : d > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const incr = alpha * d;
  return {
    score,
    expected: state.mean,
    next: { mean: state.mean + incr, variance: (1 - alpha) * (state.variance + d * incr), n: state.n + 1 },
  };
}

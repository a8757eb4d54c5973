// The seeded 80/20 split: the same rows and seed always give the same training and test sets.
import { mulberry32 } from "../random";

/** Row indices shuffled by the seed (Fisher–Yates), cut 80/20; at least one row on each side when n ≥ 2. */
export function splitIndices(n: number, seed: number, testShare = 0.2): { train: number[]; test: number[] } {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const testSize = n >= 2 ? Math.min(n - 1, Math.max(1, Math.round(n * testShare))) : 0;
  return { test: order.slice(0, testSize), train: order.slice(testSize) };
}

// The seeded 80/20 split: the same rows and seed always give the same training and test sets.

/** mulberry32: a small, fast PRNG whose sequence is fixed by its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row indices shuffled by the seed (Fisher–Yates), cut 80/20; at least one row on each side when n ≥ 2. */
export function splitIndices(n: number, seed: number, testShare = 0.2): { train: number[]; test: number[] } {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const testSize = n >= 2 ? Math.min(n - 1, Math.max(1, Math.round(n * testShare))) : 0;
  return { test: order.slice(0, testSize), train: order.slice(testSize) };
}

// Small collection helpers used across the core.

/** The map's value for `key`, created with `make` and stored on first use. */
export function getOrInsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** `xs` cut into consecutive runs of at most `n` (the last may be shorter). */
export function chunked<T>(xs: readonly T[], n: number): T[][] {
  return Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
}

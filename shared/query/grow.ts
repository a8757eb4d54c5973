// Growable typed arrays for per-group aggregate state, and where a merged partial's groups go.

export function grow(a: Float64Array, size: number): Float64Array {
  if (size <= a.length) return a;
  const b = new Float64Array(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

export function bump(a: Float64Array, i: number): void {
  a[i] = (a[i] as number) + 1;
}

export function growBytes(a: Uint8Array, size: number): Uint8Array {
  if (size <= a.length) return a;
  const b = new Uint8Array(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

/** The group a partial's group i merges into (no group ids: the single group 0). */
export function target(gids: Int32Array | null, i: number): number {
  return gids ? (gids[i] as number) : 0;
}

/** Add `from` into `into` group by group (a partial's group i into `target(gids, i)`). */
export function addInto(into: Float64Array, from: Float64Array, gids: Int32Array | null): void {
  for (let i = 0; i < from.length; i++) {
    const g = target(gids, i);
    into[g] = (into[g] as number) + (from[i] as number);
  }
}

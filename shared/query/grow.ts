// Growable typed arrays for per-group aggregate state.

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

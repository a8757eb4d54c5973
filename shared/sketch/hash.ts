// The one value hash of distinct counts (HyperLogLog in SQL, rollups and live windows): 32-bit murmur3
// mixing, strings by UTF-16 units, numbers by their bits, booleans as the numbers SQL holds them as.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixK(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function hashString(s: string, seed = 0x9747b28c): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mixH(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h ^= mixK(s.charCodeAt(i));
  return fmix(h ^ n);
}

export function hashNumber(x: number, seed = 0x9747b28c): number {
  f64[0] = x === 0 ? 0 : x; // -0 and 0 are one value
  let h = mixH(seed | 0, u32[0] as number);
  h = mixH(h, u32[1] as number);
  return fmix(h ^ 8);
}

/** Booleans as the numbers SQL holds them as; anything else by its JSON text. */
function hashOther(v: unknown): number {
  if (typeof v === "boolean") return hashNumber(v ? 1 : 0);
  return hashString(JSON.stringify(v));
}

/**
 * Hash of a non-null value: a string, a number, a boolean (as 1 or 0: the SQL engine holds BOOLEAN
 * as numbers, so a live window and a query count `true` alike), anything else by its JSON text.
 * The rare kinds sit in their own function so this one stays small enough to inline in hot loops.
 */
export function hashValue(v: unknown): number {
  if (typeof v === "string") return hashString(v);
  if (typeof v === "number") return hashNumber(v);
  return hashOther(v);
}

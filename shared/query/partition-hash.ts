// Hash partitions of rows by their keys: every query that runs in passes over partitions (window
// functions, GROUP BY past its cap, joins past theirs) cuts rows by the same hash of the same keys.
import type { Bound } from "./bound";
import { evaluate } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import type { HashPartition } from "./partial";
import { type Batch, gatherBatch, type Vec, valueAt } from "./vector";

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit hash of one key value, equal for values partitioning treats as equal. */
function hashValue(v: unknown): number {
  if (v === null || v === undefined) return 0x5bd1e995;
  if (typeof v === "boolean") return hashValue(v ? 1 : 0);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return 0x7ff80000;
    f64[0] = v === 0 ? 0 : v;
    return mix((u32[0] as number) ^ Math.imul(u32[1] as number, 0x9e3779b1));
  }
  const s = typeof v === "string" ? v : JSON.stringify(v);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

/** Each row's hash of one key, folded into `into` (the first key sets it). */
export function hashColumn(v: Vec, into: Uint32Array, first: boolean): void {
  const n = into.length;
  const fold = (i: number, h: number) => {
    into[i] = first ? h : mix((Math.imul(into[i] as number, 31) + h) | 0);
  };
  if (v.kind === "dict") {
    const size = v.dict.n;
    const byCode = new Uint32Array(size);
    for (let c = 0; c < size; c++) byCode[c] = hashValue(valueAt(v.dict, c));
    const nullHash = hashValue(null);
    for (let i = 0; i < n; i++) {
      const code = v.codes[i] as number;
      fold(i, code < 0 ? nullHash : (byCode[code] as number));
    }
    return;
  }
  if (v.kind === "const") {
    const h = hashValue(v.value);
    for (let i = 0; i < n; i++) fold(i, h);
    return;
  }
  for (let i = 0; i < n; i++) fold(i, hashValue(valueAt(v, i)));
}

/** Each row's hash of all the given key vectors together (what every hash partition cuts by). */
export function keyHashes(keys: Vec[], n: number): Uint32Array {
  const hashes = new Uint32Array(n);
  keys.forEach((k, j) => {
    hashColumn(k, hashes, j === 0);
  });
  return hashes;
}

/** The rows of a batch whose keys hash to the partition (also GROUP BY's, group-partitions.ts). */
export function keepPartition(batch: Batch, keys: Bound[], part: HashPartition, env: ExecEnv): Batch {
  if (part.count <= 1) return batch;
  const hashes = keyHashes(
    keys.map((k) => evaluate(k, batch, env.ctx)),
    batch.n,
  );
  const sel = new Int32Array(batch.n);
  let count = 0;
  for (let i = 0; i < batch.n; i++) if ((hashes[i] as number) % part.count === part.index) sel[count++] = i;
  return gatherBatch(batch, sel, count);
}

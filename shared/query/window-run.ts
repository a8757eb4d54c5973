// Window functions: the pre-window rows (after WHERE, or after grouping and HAVING) are held, each
// call sorts them by (PARTITION BY, ORDER BY, arrival), computes its values per partition, and the
// values are appended as columns; QUALIFY then filters and the sink projects, orders and limits.
// Ties in ORDER BY are peers (rank, RANGE frames), as in DuckDB.
import { Aggregator } from "./aggregator";
import type { Interval } from "./ast";
import type { FrameEdge, QueryPlan, WindowCall } from "./bind";
import { type Bound, signature } from "./bound";
import { QueryError } from "./errors";
import { applyFilter, evaluate, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import { isStringDict, type StringInterner } from "./interner";
import { compareIntervals, compareValues } from "./ops-logic";
import type { Sink } from "./sink";
import { addInterval } from "./time";
import { physicalOf, storageOf } from "./types";
import { asAny, asNum, type Batch, concatVecs, fromValues, type Vec, valueAt } from "./vector";

/** The pre-window rows as one batch. */
async function materialize(
  plan: QueryPlan,
  input: AsyncGenerator<Batch>,
  steps: Bound[],
  env: ExecEnv,
): Promise<Batch> {
  if (plan.aggregate) {
    const agg = new Aggregator(plan.aggregate, env);
    await agg.addAll(input, steps);
    let grouped = agg.finish();
    if (plan.having) grouped = applyFilter(filterSteps(plan.having), grouped, env.ctx);
    return grouped;
  }
  const batches: Batch[] = [];
  let rows = 0;
  for await (const batch of input) {
    env.checkpoint();
    const kept = applyFilter(steps, batch, env.ctx);
    if (kept.n === 0) continue;
    batches.push(kept);
    rows += kept.n;
    if (rows > env.maxJoinRows) {
      throw new QueryError(
        "QUERY_TOO_LARGE",
        `Window functions hold more than ${env.maxJoinRows} rows in memory; filter more (a time range on ts, an event type) or aggregate first`,
      );
    }
  }
  if (batches.length === 1) return batches[0] as Batch;
  const width = Math.max(0, ...batches.map((b) => b.cols.length));
  const cols: (Vec | undefined)[] = new Array(width);
  for (let j = 0; j < width; j++) {
    const parts = batches.map((b) => b.cols[j]);
    if (parts.some((p) => p === undefined)) continue;
    const kind = (parts as Vec[]).some((p) => p.kind === "str" || (p.kind === "dict" && p.dict.kind === "str"))
      ? "str"
      : (parts as Vec[]).some(
            (p) => p.kind === "obj" || (p.kind === "const" && typeof p.value === "object" && p.value !== null),
          )
        ? "obj"
        : (parts as Vec[]).some((p) => p.kind === "const" && typeof p.value === "string")
          ? "str"
          : "num";
    cols[j] =
      env.interner && kind === "str" && (parts as Vec[]).every(isStringDict)
        ? concatInterned(parts as Vec[], rows, env.interner)
        : concatVecs(kind, parts as Vec[]);
  }
  return { n: rows, cols };
}

/** Dictionary-coded string columns of many batches as one column of interned codes (no strings copied). */
function concatInterned(parts: Vec[], n: number, interner: StringInterner): Vec {
  const codes = new Int32Array(n);
  let o = 0;
  for (const part of parts) {
    const v = part as Extract<Vec, { kind: "dict" }>;
    const entries = interner.entries(v.dict);
    const strings = (v.dict as { values: (string | null)[] }).values;
    for (let i = 0; i < v.n; i++, o++) {
      const c = v.codes[i] as number;
      codes[o] = c < 0 || strings[c] == null ? -1 : interner.resolve(entries, v.dict, c);
    }
  }
  return { kind: "dict", n, dict: interner.dictionary(codes), codes };
}

function cmp(x: unknown, y: unknown, obj: boolean): number {
  return obj ? compareIntervals(x, y) : compareValues(x, y);
}

/** Rows sorted by a window's (PARTITION BY, ORDER BY, arrival), with comparators for partitions and peers. */
interface Sorted {
  /** Row indexes in window order. */
  order: Int32Array;
  /** Partition p is order[starts[p] .. starts[p + 1]). */
  starts: Int32Array;
  compareOrder: (a: number, b: number) => number;
  /** The first ORDER BY key's values (for RANGE offsets), made on first use. */
  firstKey: () => unknown[] | null;
}

/** Partition ids in order of appearance (partitions only need telling apart). */
function partitionIds(call: WindowCall, batch: Batch, env: ExecEnv): Int32Array {
  const n = batch.n;
  const pid = new Int32Array(n);
  if (call.partitionBy.length === 0) return pid;
  const parts = call.partitionBy.map((p) => evaluate(p, batch, env.ctx));
  const ids = new Map<unknown, number>();
  const only = parts.length === 1 ? (parts[0] as Vec) : null;
  if (only && only.kind === "dict" && env.interner?.owns(only.dict)) {
    // Codes tell partitions apart already: number them in order of appearance, NULL (-1) as one more.
    const remap = new Int32Array(only.dict.n + 1).fill(-1);
    let next = 0;
    for (let i = 0; i < n; i++) {
      const slot = (only.codes[i] as number) + 1;
      let id = remap[slot] as number;
      if (id < 0) {
        id = next++;
        remap[slot] = id;
      }
      pid[i] = id;
    }
    return pid;
  }
  const idOf = (key: unknown) => {
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    return id;
  };
  if (only && (only.kind === "str" || only.kind === "num")) {
    // One string or number key: the value itself is the Map key, no per-row boxing or JSON.
    const values = only.values;
    const valid = only.kind === "num" ? only.valid : null;
    for (let i = 0; i < n; i++) pid[i] = idOf(valid && valid[i] === 0 ? null : (values[i] ?? null));
    return pid;
  }
  for (let i = 0; i < n; i++) {
    let key: unknown;
    if (only) {
      const v = valueAt(only, i);
      key = typeof v === "object" && v !== null ? JSON.stringify(v) : v;
    } else key = JSON.stringify(parts.map((p) => valueAt(p, i)));
    pid[i] = idOf(key);
  }
  return pid;
}

/** Partitions at or below this size are sorted in place by insertion (no subarray, no native call). */
const INSERTION_MAX = 24;

function sortRows(call: WindowCall, batch: Batch, env: ExecEnv): Sorted {
  const n = batch.n;
  const ctx = env.ctx;
  const pid = partitionIds(call, batch, env);
  const keys = call.orderBy.map((o) => evaluate(o.expr, batch, ctx));
  const objs = call.orderBy.map((o) => physicalOf(o.expr.type) === "obj");
  const nums = call.orderBy.map((o) => physicalOf(o.expr.type) === "num");
  // Numbers as typed arrays with a NULL mask; strings and intervals as the vector's own values.
  const numVals = keys.map((v, j) => (nums[j] ? asNum(v) : null));
  const keyVals = keys.map((v, j) => (nums[j] ? null : asAny(v)));
  const isNull = (j: number, i: number) => {
    const f = numVals[j];
    if (f) return f.valid !== null && f.valid[i] === 0;
    return ((keyVals[j] as unknown[])[i] ?? null) === null;
  };
  const compareFrom = (from: number, a: number, b: number) => {
    for (let j = from; j < keys.length; j++) {
      const o = call.orderBy[j] as WindowCall["orderBy"][number];
      const na = isNull(j, a);
      const nb = isNull(j, b);
      if (na || nb) {
        if (na && nb) continue;
        return na === o.nullsFirst ? -1 : 1;
      }
      const fast = numVals[j];
      let c: number;
      if (fast) {
        const d = (fast.values[a] as number) - (fast.values[b] as number);
        c = d < 0 ? -1 : d > 0 ? 1 : 0;
      } else c = cmp((keyVals[j] as unknown[])[a], (keyVals[j] as unknown[])[b], objs[j] as boolean);
      if (c !== 0) return o.desc ? -c : c;
    }
    return 0;
  };
  const compareOrder = (a: number, b: number) => compareFrom(0, a, b);
  // Partitions by counting sort (arrival order kept), then each partition sorted by ORDER BY.
  let parts = 0;
  for (let i = 0; i < n; i++) if ((pid[i] as number) >= parts) parts = (pid[i] as number) + 1;
  const starts = new Int32Array(parts + 1);
  for (let i = 0; i < n; i++) starts[(pid[i] as number) + 1] = (starts[(pid[i] as number) + 1] as number) + 1;
  for (let p = 0; p < parts; p++) starts[p + 1] = (starts[p + 1] as number) + (starts[p] as number);
  const fill = starts.slice(0, parts);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = pid[i] as number;
    order[fill[p] as number] = i;
    fill[p] = (fill[p] as number) + 1;
  }
  if (keys.length > 0) {
    const byOrder = orderComparator(call, numVals[0] ?? null, compareFrom, compareOrder);
    for (let p = 0; p < parts; p++) {
      const from = starts[p] as number;
      const to = starts[p + 1] as number;
      if (to - from <= INSERTION_MAX) insertionSort(order, from, to, byOrder);
      else order.subarray(from, to).sort(byOrder);
    }
  }
  const first = keys[0];
  let firstValues: unknown[] | null = null;
  const firstKey = () => {
    if (first && !firstValues) firstValues = numVals[0] ? asAny(first) : (keyVals[0] as unknown[]);
    return firstValues;
  };
  return { order, starts, compareOrder, firstKey };
}

/**
 * The total order of rows within a partition: ORDER BY, then arrival. A numeric first key without
 * NULLs or NaN (timestamps, the usual case) compares straight from its typed array, falling back to
 * the general comparison only on ties.
 */
function orderComparator(
  call: WindowCall,
  first: { values: Float64Array; valid: Uint8Array | null } | null,
  compareFrom: (from: number, a: number, b: number) => number,
  compareOrder: (a: number, b: number) => number,
): (a: number, b: number) => number {
  if (first && first.valid === null && !first.values.some(Number.isNaN)) {
    const v = first.values;
    const sign = call.orderBy[0]?.desc ? -1 : 1;
    if (call.orderBy.length === 1) {
      return (a, b) => {
        const x = v[a] as number;
        const y = v[b] as number;
        return x < y ? -sign : x > y ? sign : a - b;
      };
    }
    return (a, b) => {
      const x = v[a] as number;
      const y = v[b] as number;
      return x < y ? -sign : x > y ? sign : compareFrom(1, a, b) || a - b;
    };
  }
  return (a, b) => compareOrder(a, b) || a - b;
}

/** Stable in-place insertion sort of order[from, to) (small partitions). */
function insertionSort(order: Int32Array, from: number, to: number, compare: (a: number, b: number) => number): void {
  for (let i = from + 1; i < to; i++) {
    const x = order[i] as number;
    let j = i - 1;
    while (j >= from && compare(order[j] as number, x) > 0) {
      order[j + 1] = order[j] as number;
      j--;
    }
    order[j + 1] = x;
  }
}

/** Functions whose value does not depend on peers (rows tied in ORDER BY). */
const PEERLESS = new Set(["row_number", "ntile", "lag", "lead"]);

/** One call's values over all rows (rows sorted once per distinct PARTITION BY and ORDER BY). */
function computeCall(call: WindowCall, batch: Batch, env: ExecEnv, sorts: Map<string, Sorted>): Vec {
  const n = batch.n;
  const ctx = env.ctx;
  const sortKey = `${call.partitionBy.map(signature).join(",")}|${call.orderBy.map((o) => `${signature(o.expr)}:${o.desc}:${o.nullsFirst}`).join(",")}`;
  let sorted = sorts.get(sortKey);
  if (!sorted) {
    sorted = sortRows(call, batch, env);
    sorts.set(sortKey, sorted);
  }
  const { order, starts, compareOrder, firstKey } = sorted;
  const args = call.args.map((a) => evaluate(a, batch, ctx));
  if (call.name === "row_number") return rowNumbers(order, starts, n);
  if ((call.name === "lag" || call.name === "lead") && storageOf(call.type) === "num")
    return lagLeadNum(call, args, order, starts, n);
  const f = call.frame;
  const offsets = f?.unit === "range" && [f.start.kind, f.end.kind].some((k) => k === "preceding" || k === "following");
  const rangeKey = offsets ? firstKey() : null;
  const argVals = args.map((v) => asAny(v));
  const out: unknown[] = new Array(n).fill(null);
  const x = argVals[0] ?? [];
  const constArg = (k: number) => valueAt(args[k] as Vec, 0);
  const peers = !PEERLESS.has(call.name);
  for (let p = 0; p + 1 < starts.length; p++) {
    const ps = starts[p] as number;
    const pe = starts[p + 1] as number;
    if (pe > ps) computePartition(call, order, ps, pe, out, x, argVals, constArg, compareOrder, rangeKey, peers);
  }
  return fromValues(storageOf(call.type), out);
}

/** row_number(): positions within each partition, straight into a typed array. */
function rowNumbers(order: Int32Array, starts: Int32Array, n: number): Vec {
  const values = new Float64Array(n);
  for (let p = 0; p + 1 < starts.length; p++) {
    const ps = starts[p] as number;
    const pe = starts[p + 1] as number;
    for (let q = ps; q < pe; q++) values[order[q] as number] = q - ps + 1;
  }
  return { kind: "num", n, values, valid: null };
}

/** lag/lead of a numeric (or time) argument without boxing a value per row. */
function lagLeadNum(call: WindowCall, args: Vec[], order: Int32Array, starts: Int32Array, n: number): Vec {
  const x = asNum(args[0] as Vec);
  const off = call.args[1] ? (valueAt(args[1] as Vec, 0) as number | null) : 1;
  const fallback = call.args[2] ? asNum(args[2] as Vec) : null;
  const values = new Float64Array(n);
  const valid = new Uint8Array(n);
  if (off === null) return { kind: "num", n, values, valid };
  const step = call.name === "lag" ? -off : off;
  for (let p = 0; p + 1 < starts.length; p++) {
    const ps = starts[p] as number;
    const pe = starts[p + 1] as number;
    for (let q = ps; q < pe; q++) {
      const row = order[q] as number;
      const src = q + step;
      if (src >= ps && src < pe) {
        const from = order[src] as number;
        if (!x.valid || x.valid[from] === 1) {
          values[row] = x.values[from] as number;
          valid[row] = 1;
        }
      } else if (fallback && (!fallback.valid || fallback.valid[row] === 1)) {
        values[row] = fallback.values[row] as number;
        valid[row] = 1;
      }
    }
  }
  return { kind: "num", n, values, valid };
}

/** Peer group bounds (positions in `order`) for each position of the partition [ps, pe). */
function peerBounds(order: Int32Array, ps: number, pe: number, compareOrder: (a: number, b: number) => number) {
  const start = new Int32Array(pe - ps);
  const end = new Int32Array(pe - ps);
  let g = ps;
  while (g < pe) {
    let h = g + 1;
    while (h < pe && compareOrder(order[g] as number, order[h] as number) === 0) h++;
    for (let p = g; p < h; p++) {
      start[p - ps] = g;
      end[p - ps] = h;
    }
    g = h;
  }
  return { start, end };
}

const NO_PEERS = { start: new Int32Array(0), end: new Int32Array(0) };

function offsetValue(v: unknown, off: unknown, sign: 1 | -1): unknown {
  if (typeof off === "number") return (v as number) + sign * off;
  return addInterval(v as number, off as Interval, sign);
}

function computePartition(
  call: WindowCall,
  order: Int32Array,
  ps: number,
  pe: number,
  out: unknown[],
  x: unknown[],
  argVals: unknown[][],
  constArg: (k: number) => unknown,
  compareOrder: (a: number, b: number) => number,
  firstKey: unknown[] | null,
  peers: boolean,
): void {
  const size = pe - ps;
  const { start: peerStart, end: peerEnd } = peers ? peerBounds(order, ps, pe, compareOrder) : NO_PEERS;
  const row = (p: number) => order[p] as number;
  switch (call.name) {
    case "row_number":
      for (let p = ps; p < pe; p++) out[row(p)] = p - ps + 1;
      return;
    case "rank":
      for (let p = ps; p < pe; p++) out[row(p)] = (peerStart[p - ps] as number) - ps + 1;
      return;
    case "dense_rank": {
      let d = 0;
      for (let p = ps; p < pe; p++) {
        if (peerStart[p - ps] === p) d++;
        out[row(p)] = d;
      }
      return;
    }
    case "percent_rank":
      for (let p = ps; p < pe; p++) out[row(p)] = size > 1 ? ((peerStart[p - ps] as number) - ps) / (size - 1) : 0;
      return;
    case "cume_dist":
      for (let p = ps; p < pe; p++) out[row(p)] = ((peerEnd[p - ps] as number) - ps) / size;
      return;
    case "ntile": {
      const buckets = constArg(0) as number;
      const small = Math.floor(size / buckets);
      const large = size - buckets * small;
      const iSmall = large * (small + 1);
      for (let p = ps; p < pe; p++) {
        const i = p - ps;
        out[row(p)] = i < iSmall ? 1 + Math.floor(i / (small + 1)) : 1 + large + Math.floor((i - iSmall) / small);
      }
      return;
    }
    case "lag":
    case "lead": {
      const off = call.args[1] ? (constArg(1) as number | null) : 1;
      const fallback = call.args[2] ? (argVals[2] as unknown[]) : null;
      for (let p = ps; p < pe; p++) {
        if (off === null) {
          out[row(p)] = null;
          continue;
        }
        const q = call.name === "lag" ? p - off : p + off;
        out[row(p)] = q >= ps && q < pe ? x[row(q)] : fallback ? fallback[row(p)] : null;
      }
      return;
    }
  }
  // Framed functions: each position's frame [fs, fe) within the partition.
  const frame = call.frame;
  const hasOrder = call.orderBy.length > 0;
  const fs = new Int32Array(size);
  const fe = new Int32Array(size);
  const key = firstKey;
  const desc = call.orderBy[0]?.desc ?? false;
  for (let p = ps; p < pe; p++) {
    const i = p - ps;
    if (!frame) {
      fs[i] = ps;
      fe[i] = hasOrder ? (peerEnd[i] as number) : pe;
      continue;
    }
    fs[i] = edgePosition(frame.start, frame.unit, true, p, i, ps, pe, peerStart, peerEnd, key, order, desc);
    fe[i] = edgePosition(frame.end, frame.unit, false, p, i, ps, pe, peerStart, peerEnd, key, order, desc);
  }
  const value = (p: number) => x[row(p)];
  switch (call.name) {
    case "first_value":
    case "last_value":
    case "nth_value": {
      const nth = call.name === "nth_value" ? (constArg(1) as number) : 1;
      for (let p = ps; p < pe; p++) {
        const i = p - ps;
        const s = fs[i] as number;
        const e = fe[i] as number;
        if (e <= s) continue;
        if (call.name === "last_value") out[row(p)] = value(e - 1);
        else if (s + nth - 1 < e) out[row(p)] = value(s + nth - 1);
      }
      return;
    }
    case "count":
    case "sum":
    case "avg": {
      // Prefix sums over the partition make every frame O(1).
      const sums = new Float64Array(size + 1);
      const counts = new Float64Array(size + 1);
      for (let i = 0; i < size; i++) {
        const v = call.star ? 1 : value(ps + i);
        sums[i + 1] = (sums[i] as number) + (v === null || call.star ? 0 : (v as number));
        counts[i + 1] = (counts[i] as number) + (v === null ? 0 : 1);
      }
      for (let p = ps; p < pe; p++) {
        const i = p - ps;
        const s = Math.max(ps, fs[i] as number) - ps;
        const e = Math.min(pe, fe[i] as number) - ps;
        const c = e > s ? (counts[e] as number) - (counts[s] as number) : 0;
        if (call.name === "count") out[row(p)] = c;
        else if (c === 0) out[row(p)] = null;
        else {
          const total = (sums[e] as number) - (sums[s] as number);
          out[row(p)] = call.name === "sum" ? total : total / c;
        }
      }
      return;
    }
    case "min":
    case "max": {
      const sign = call.name === "min" ? 1 : -1;
      const obj = physicalOf(call.type) === "obj";
      for (let p = ps; p < pe; p++) {
        const i = p - ps;
        let best: unknown = null;
        // Frames that grow from the partition start reuse the previous row's answer.
        const prevStart = i > 0 ? (fs[i - 1] as number) : -1;
        let from = fs[i] as number;
        if (i > 0 && prevStart === from && (fe[i - 1] as number) <= (fe[i] as number)) {
          best = out[row(p - 1)];
          from = fe[i - 1] as number;
        }
        for (let q = Math.max(from, ps); q < Math.min(fe[i] as number, pe); q++) {
          const v = value(q);
          if (v !== null && (best === null || sign * cmp(v, best, obj) < 0)) best = v;
        }
        out[row(p)] = best;
      }
      return;
    }
  }
}

/** Where a frame edge falls for the row at position p (start: first row in; end: one past the last). */
function edgePosition(
  edge: FrameEdge,
  unit: "rows" | "range",
  isStart: boolean,
  p: number,
  i: number,
  ps: number,
  pe: number,
  peerStart: Int32Array,
  peerEnd: Int32Array,
  key: unknown[] | null,
  order: Int32Array,
  desc: boolean,
): number {
  switch (edge.kind) {
    case "unbounded_preceding":
      return ps;
    case "unbounded_following":
      return pe;
    case "current_row":
      if (unit === "rows") return isStart ? p : p + 1;
      return isStart ? (peerStart[i] as number) : (peerEnd[i] as number);
  }
  const off = edge.offset;
  if (unit === "rows") {
    const n = off as number;
    const at = edge.kind === "preceding" ? p - n : p + n;
    return Math.min(pe, Math.max(ps, isStart ? at : at + 1));
  }
  // RANGE with an offset: compare the one ORDER BY key's value shifted by the offset.
  const v = (key as unknown[])[order[p] as number];
  if (v === null) return isStart ? (peerStart[i] as number) : (peerEnd[i] as number);
  const toward = (edge.kind === "preceding") !== desc ? -1 : 1;
  const bound = offsetValue(v, off, toward as 1 | -1);
  const before = (q: number) => {
    const w = (key as unknown[])[order[q] as number];
    if (w === null) return false;
    const c = compareValues(w, bound);
    return desc ? c > 0 : c < 0;
  };
  const atOrBefore = (q: number) => {
    const w = (key as unknown[])[order[q] as number];
    if (w === null) return false;
    const c = compareValues(w, bound);
    return desc ? c >= 0 : c <= 0;
  };
  // Non-NULL keys are sorted; binary search within the partition's non-NULL run.
  let lo = ps;
  let hi = pe;
  const test = isStart ? before : atOrBefore;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const w = (key as unknown[])[order[mid] as number];
    if (w === null) {
      // NULLs sit at one end; treat them as past the bound on the side they are on.
      const nullsAtStart = (key as unknown[])[order[ps] as number] === null;
      if (nullsAtStart) lo = mid + 1;
      else hi = mid;
      continue;
    }
    if (test(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Run a windowed plan's tail: materialize, compute the calls, QUALIFY, then the sink. */
export async function* applyWindows(
  plan: QueryPlan,
  input: AsyncGenerator<Batch>,
  steps: Bound[],
  env: ExecEnv,
  sink: Sink,
): AsyncGenerator<Batch> {
  if (!plan.windows) return;
  const batch = await windowedRows(plan, input, steps, env);
  if (batch.n > 0) {
    const out = sink.push(batch);
    if (out) yield out;
  }
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/**
 * The windowed rows of one input, for a caller that owns the sink (window-partitions.ts runs one
 * hash partition at a time): materialized, every call computed, QUALIFY applied; not projected.
 */
export async function windowedRows(
  plan: QueryPlan,
  input: AsyncGenerator<Batch>,
  steps: Bound[],
  env: ExecEnv,
): Promise<Batch> {
  const windows = plan.windows;
  const batch = await materialize(plan, input, steps, env);
  if (!windows || batch.n === 0) return batch;
  const cols = batch.cols.slice();
  cols.length = Math.max(cols.length, windows.base + windows.calls.length);
  const sorts = new Map<string, Sorted>();
  windows.calls.forEach((call, i) => {
    env.checkpoint();
    cols[windows.base + i] = computeCall(call, batch, env, sorts);
  });
  const out = { n: batch.n, cols };
  return windows.qualify ? applyFilter(filterSteps(windows.qualify), out, env.ctx) : out;
}

// The join operator: a hash join that builds the side the manifest says is smaller and streams the
// other through it. Both sides are plans of their own, pruned by the filters pushed into them (a side
// with such a filter is split over sub-invocations like a grouped scan); the join runs here.
// Outer joins: unmatched probe rows are emitted per batch, unmatched build rows at the end.
// A build side past the cap (maxBuildRows) is joined in hash partitions of the join keys (a grace
// hash join): rows with equal keys hash alike, so each pass builds the build side's rows of one
// partition, streams the probe side's rows of the same partition through it, and emits that
// partition's matches and unmatched rows; the passes' rows together are the join's. Each pass reads
// both sides again: the price of memory bounded by the cap.
import type { JoinPlan, QueryPlan } from "./bind";
import type { Bound } from "./bound";
import { applyFilter, evaluate, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import { KeyEncoder } from "./group-by";
import { isStringDict, type StringInterner } from "./interner";
import { cut, MAX_JOIN_PARTITIONS, PARTITION_FILL, tooLarge } from "./join-partitions";
import type { HashPartition } from "./partial";
import { storageOf } from "./types";
import { type Batch, fromValues, gather, type Vec, valueAt } from "./vector";

/** Output batches hold at most about this many joined rows. */
const CHUNK = 16_384;

export interface JoinRunner {
  execute(plan: QueryPlan): AsyncGenerator<Batch>;
  estimate(plan: QueryPlan): Promise<number>;
}

/** A side's output batch as a batch of the side's own column slots. */
function sideBatch(out: Batch, slots: number[], width: number): Batch {
  const cols: (Vec | undefined)[] = new Array(width);
  slots.forEach((slot, j) => {
    cols[slot] = out.cols[j];
  });
  return { n: out.n, cols };
}

/** A hashable key for row i of the key vectors, or null when any key is NULL (never equal). */
function keyAt(keys: Vec[], i: number): unknown {
  if (keys.length === 1) {
    const v = valueAt(keys[0] as Vec, i);
    return v === null ? null : typeof v === "object" ? JSON.stringify(v) : v;
  }
  let s = "";
  for (const k of keys) {
    const v = valueAt(k, i);
    if (v === null) return null;
    s +=
      typeof v === "number"
        ? `n${v}\u0001`
        : typeof v === "string"
          ? `s${v.length}:${v}`
          : `o${JSON.stringify(v)}\u0001`;
  }
  return s;
}

/** The build side held in memory: its columns' values and a chained hash table over its keys. */
class BuildTable {
  readonly values: unknown[][];
  readonly storage: ("num" | "str" | "obj")[];
  rows = 0;
  private readonly head = new Map<unknown, number>();
  private next = new Int32Array(1024);
  matched: Uint8Array | null = null;

  /** Per string column: value → code (the column's `values` are then its distinct values). */
  private readonly dicts: (KeyEncoder | null)[];
  private readonly codes: (Int32Array | null)[];

  /** One string key: rows are chained by the key's interned id (no string hashing per probe). */
  private heads: Int32Array = new Int32Array(0);

  constructor(
    private readonly slots: number[],
    side: QueryPlan,
    private readonly keyed: boolean,
    readonly interner: StringInterner | null,
    strings?: StringInterner,
  ) {
    this.values = slots.map(() => []);
    this.storage = side.outputs.map((o) => storageOf(o.type));
    this.dicts = this.storage.map((st) => (st === "str" ? new KeyEncoder(strings) : null));
    this.codes = this.storage.map((st) => (st === "str" ? new Int32Array(1024) : null));
  }

  add(out: Batch, keys: Vec[]): void {
    const base = this.rows;
    const n = out.n;
    for (let j = 0; j < this.slots.length; j++) {
      const col = out.cols[j] as Vec;
      const dict = this.dicts[j];
      if (dict) {
        // Strings are kept as codes into one dictionary for the whole side.
        let codes = this.codes[j] as Int32Array;
        if (codes.length < base + n) {
          const grown = new Int32Array(Math.max(codes.length * 2, base + n, 1024));
          grown.set(codes);
          codes = grown;
          this.codes[j] = codes;
        }
        // Dictionary entries are looked up once per dictionary, not per row.
        const ids = dict.encode(col);
        const nullId = dict.nullId;
        for (let i = 0; i < n; i++) {
          const id = ids[i] as number;
          codes[base + i] = id === nullId ? -1 : id;
        }
        this.values[j] = dict.values;
        continue;
      }
      const dst = this.values[j] as unknown[];
      for (let i = 0; i < n; i++) dst.push(valueAt(col, i));
    }
    if (this.next.length < base + n) {
      const grown = new Int32Array(Math.max(this.next.length * 2, base + n));
      grown.set(this.next);
      this.next = grown;
    }
    if (this.keyed && this.interner) this.chainInterned(keys[0] as Vec, base, n, this.interner);
    else if (this.keyed) {
      for (let i = 0; i < n; i++) {
        const key = keyAt(keys, i);
        if (key === null) {
          this.next[base + i] = -1;
          continue;
        }
        const prev = this.head.get(key);
        this.next[base + i] = prev ?? -1;
        this.head.set(key, base + i);
      }
    }
    this.rows += n;
  }

  private chainInterned(key: Vec, base: number, n: number, interner: StringInterner): void {
    const entries = isStringDict(key) ? interner.entries(key.dict) : null;
    for (let i = 0; i < n; i++) {
      let id = -1;
      if (entries && key.kind === "dict") {
        const c = key.codes[i] as number;
        if (c >= 0 && valueAt(key.dict, c) !== null) id = interner.resolve(entries, key.dict, c);
      } else {
        const v = valueAt(key, i);
        if (v !== null) id = interner.idOf(v as string);
      }
      if (id < 0) {
        this.next[base + i] = -1;
        continue;
      }
      if (id >= this.heads.length) {
        const grown = new Int32Array(Math.max(1024, this.heads.length * 2, id + 1)).fill(-1);
        grown.set(this.heads);
        this.heads = grown;
      }
      this.next[base + i] = this.heads[id] as number;
      this.heads[id] = base + i;
    }
  }

  first(key: unknown): number {
    return key === null ? -1 : (this.head.get(key) ?? -1);
  }

  /** The first build row of an interned string id (-1: none). */
  firstOfId(id: number): number {
    return id >= 0 && id < this.heads.length ? (this.heads[id] as number) : -1;
  }

  chain(row: number): number {
    return this.next[row] as number;
  }

  /** Column j's values at the given build rows (-1: NULL). */
  column(j: number, rows: Int32Array, count: number): Vec {
    const codes = this.codes[j];
    if (codes) {
      const uniques = this.values[j] as (string | null)[];
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const r = rows[i] as number;
        out[i] = r < 0 ? -1 : (codes[r] as number);
      }
      // A small dictionary travels as codes (grouping runs on them); a large one as strings.
      if (uniques.length <= count)
        return { kind: "dict", n: count, dict: { kind: "str", n: uniques.length, values: uniques }, codes: out };
      // A large one as codes into the query's interned strings when it has them (joins and grouping
      // downstream then hash nothing), else as strings.
      const interned = (this.dicts[j] as KeyEncoder).internedVec(out, count);
      if (interned) return interned;
      const values: (string | null)[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const c = out[i] as number;
        values[i] = c < 0 ? null : (uniques[c] as string);
      }
      return { kind: "str", n: count, values };
    }
    const src = this.values[j] as unknown[];
    const out: unknown[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const r = rows[i] as number;
      out[i] = r < 0 ? null : src[r];
    }
    return fromValues(this.storage[j] as "num" | "str" | "obj", out);
  }
}

/**
 * Probe rows' first matching build row for each row of the batch. Dictionary keys are looked up once
 * per entry a row uses, and the answers kept while batches share the dictionary (a file's pages do).
 */
class Prober {
  private dict: Vec | null = null;
  /** Per dictionary entry: its first build row, -1 none, -2 not looked up yet. */
  private perCode = new Int32Array(0);
  /** Each probe row's first build row, reused batch after batch (read before the next batch is probed). */
  private first = new Int32Array(0);

  constructor(private readonly table: BuildTable) {}

  firstMatches(keys: Vec[], n: number): Int32Array {
    const table = this.table;
    if (this.first.length < n) this.first = new Int32Array(Math.max(n, 2 * this.first.length));
    const first = this.first;
    const only = keys[0];
    const interner = table.interner;
    if (interner && only) return this.firstInterned(only, n, interner, first);
    if (keys.length === 1 && only && only.kind === "dict") {
      const dict = only.dict;
      return this.firstPerCode(dict, only.codes, n, first, (c) => table.first(keyAt([dict], c)));
    }
    for (let i = 0; i < n; i++) first[i] = table.first(keyAt(keys, i));
    return first;
  }

  /**
   * Each row's first build row through its dictionary code: `lookup` runs once per code and
   * dictionary (the probe side's batches of one column chunk share their dictionary).
   */
  private firstPerCode(
    dict: Vec,
    codes: ArrayLike<number>,
    n: number,
    first: Int32Array,
    lookup: (code: number) => number,
  ): Int32Array {
    if (this.dict !== dict) {
      this.dict = dict;
      // One buffer for every dictionary (a file's is dropped when the next file's comes).
      if (this.perCode.length < dict.n) this.perCode = new Int32Array(Math.max(dict.n, 2 * this.perCode.length));
      this.perCode.fill(-2, 0, dict.n);
    }
    const perCode = this.perCode;
    for (let i = 0; i < n; i++) {
      const c = codes[i] as number;
      if (c < 0) {
        first[i] = -1;
        continue;
      }
      let b = perCode[c] as number;
      if (b === -2) b = perCode[c] = lookup(c);
      first[i] = b;
    }
    return first;
  }

  /** One string key: dictionary entries through the interner's ids (cached per dictionary), else per row. */
  private firstInterned(key: Vec, n: number, interner: StringInterner, first: Int32Array): Int32Array {
    const table = this.table;
    if (isStringDict(key)) {
      const dict = key.dict;
      const entries = interner.entries(dict);
      return this.firstPerCode(dict, key.codes, n, first, (c) =>
        valueAt(dict, c) === null ? -1 : table.firstOfId(interner.lookup(entries, dict, c)),
      );
    }
    for (let i = 0; i < n; i++) {
      const v = valueAt(key, i);
      first[i] = v === null ? -1 : table.firstOfId(interner.find(v as string));
    }
    return first;
  }
}

/** One side of a join as the operator uses it: its plan, column slots, keys, and place in the joined row. */
interface JoinSide {
  plan: QueryPlan;
  slots: number[];
  keys: Bound[];
  width: number;
  offset: number;
}

/** Which side is built and which probes, and whose unmatched rows an outer join keeps. */
interface JoinSides {
  build: JoinSide;
  probe: JoinSide;
  keepProbe: boolean;
  keyed: boolean;
}

/** Run a join: batches of the joined row (left slots, right slots, merged USING columns). */
export async function* executeJoin(
  join: JoinPlan,
  env: ExecEnv,
  runner: JoinRunner,
  maxBuildRows: number,
): AsyncGenerator<Batch> {
  const lw = join.leftWidth;
  const rw = join.rightWidth;
  // Build the smaller side (by the manifest's row counts after pruning); the right one on a tie.
  const [le, re] = await Promise.all([runner.estimate(join.left), runner.estimate(join.right)]);
  const buildLeft = le < re;
  env.joins.push({ type: join.joinType, build: buildLeft ? "left" : "right", estimates: { left: le, right: re } });
  const build: JoinSide = buildLeft
    ? { plan: join.left, slots: join.leftSlots, keys: join.leftKeys, width: lw, offset: 0 }
    : { plan: join.right, slots: join.rightSlots, keys: join.rightKeys, width: rw, offset: lw };
  const probe: JoinSide = buildLeft
    ? { plan: join.right, slots: join.rightSlots, keys: join.rightKeys, width: rw, offset: lw }
    : { plan: join.left, slots: join.leftSlots, keys: join.leftKeys, width: lw, offset: 0 };
  const keepProbe = join.joinType === "full" || join.joinType === (buildLeft ? "right" : "left");
  const keepBuild = join.joinType === "full" || join.joinType === (buildLeft ? "left" : "right");
  const keyed = build.keys.length > 0;

  // One string key on both sides: hash on interned ids.
  const stringKey =
    build.keys.length === 1 &&
    storageOf((build.keys[0] as Bound).type) === "str" &&
    storageOf((probe.keys[0] as Bound).type) === "str";
  const probed = (table: BuildTable, part: HashPartition | null) =>
    probeThrough(join, env, runner, { build, probe, keepProbe, keyed }, table, part);
  /**
   * The build side held (of one partition, when given), or null past the cap, with the side's rows:
   * on the whole side, counted to the end so the partitions can be sized.
   */
  const built = async (part: HashPartition | null): Promise<{ table: BuildTable | null; rows: number }> => {
    let table: BuildTable | null = new BuildTable(
      build.slots,
      build.plan,
      keyed,
      stringKey ? (env.interner ?? null) : null,
      env.interner,
    );
    let rows = 0;
    for await (const whole of runner.execute(build.plan)) {
      env.checkpoint();
      if (whole.n === 0) continue;
      let out = whole;
      let keys = build.keys.map((k) => evaluate(k, sideBatch(whole, build.slots, build.width), env.ctx));
      if (keyed) ({ batch: out, keys } = cut(whole, keys, part, keepBuild));
      rows += out.n;
      if (!table) continue;
      table.add(out, keys);
      if (table.rows > maxBuildRows) {
        table = null;
        if (part || !keyed) return { table, rows };
      }
    }
    if (table && keepBuild) table.matched = new Uint8Array(table.rows);
    return { table, rows };
  };

  const whole = await built(null);
  if (whole.table) {
    yield* probed(whole.table, null);
    return;
  }
  if (!keyed) throw tooLarge(maxBuildRows, "(a join without equal keys cannot be partitioned)");
  const count = Math.max(2, Math.ceil(whole.rows / (PARTITION_FILL * maxBuildRows)));
  if (count > MAX_JOIN_PARTITIONS) {
    throw tooLarge(maxBuildRows, `(${whole.rows} rows: more than ${MAX_JOIN_PARTITIONS} partitions of it)`);
  }
  for (let index = 0; index < count; index++) {
    const part = { index, count };
    const { table } = await built(part);
    if (!table) throw tooLarge(maxBuildRows, `even in ${count} hash partitions of its keys (some key is that common)`);
    yield* probed(table, part);
  }
}

/** The join's rows for one build table: the probe side (of its partition, when given) streamed through it. */
async function* probeThrough(
  join: JoinPlan,
  env: ExecEnv,
  runner: JoinRunner,
  sides: JoinSides,
  table: BuildTable,
  part: HashPartition | null,
): AsyncGenerator<Batch> {
  const { build, probe, keepProbe, keyed } = sides;
  const lw = join.leftWidth;
  const rw = join.rightWidth;
  const width = lw + rw + join.merged.length;
  const residual = join.residual ? filterSteps(join.residual) : [];
  const prober = new Prober(table);

  /** The joined batch for pairs (probe row, build row); -1 on either side is NULL-extended. */
  const assemble = (probeOut: Batch, probeRows: Int32Array, buildRows: Int32Array, count: number): Batch => {
    const cols: (Vec | undefined)[] = new Array(width);
    probe.slots.forEach((slot, j) => {
      const v = probeOut.cols[j] as Vec;
      cols[probe.offset + slot] = gatherNullable(v, probeRows, count, storageOf((probe.plan.outputs[j] as Bound).type));
    });
    build.slots.forEach((slot, j) => {
      cols[build.offset + slot] = table.column(j, buildRows, count);
    });
    join.merged.forEach((m, i) => {
      const l = cols[m.left] as Vec;
      const r = cols[lw + m.right] as Vec;
      const out: unknown[] = new Array(count);
      for (let k = 0; k < count; k++) out[k] = valueAt(l, k) ?? valueAt(r, k);
      cols[lw + rw + i] = fromValues(storageOf(m.type), out);
    });
    return { n: count, cols };
  };

  // The pairs of one output chunk, reused: each chunk's columns are gathered out of them before the
  // next (fresh 64 KiB arrays per chunk were external memory that brought on full collections).
  const pRows = new Int32Array(CHUNK);
  const bRows = new Int32Array(CHUNK);
  for await (const whole of runner.execute(probe.plan)) {
    env.checkpoint();
    if (whole.n === 0) continue;
    let probeOut = whole;
    let keys = keyed ? probe.keys.map((k) => evaluate(k, sideBatch(whole, probe.slots, probe.width), env.ctx)) : [];
    if (part) ({ batch: probeOut, keys } = cut(whole, keys, part, keepProbe));
    const n = probeOut.n;
    if (n === 0) continue;
    const first = keyed ? prober.firstMatches(keys, n) : null;
    const probeMatched = keepProbe ? new Uint8Array(n) : null;
    let count = 0;
    const flush = function* (): Generator<Batch> {
      if (count === 0) return;
      let batch = assemble(probeOut, pRows, bRows, count);
      let pr = pRows;
      let br = bRows;
      if (residual.length > 0) {
        // Keep the pairs ON's other conditions accept, remembering which rows they were.
        const tag = new Float64Array(count);
        for (let k = 0; k < count; k++) tag[k] = k;
        batch.cols.push({ kind: "num", n: count, values: tag, valid: null });
        batch = applyFilter(residual, batch, env.ctx);
        const tags = batch.cols.pop() as Vec;
        pr = new Int32Array(batch.n);
        br = new Int32Array(batch.n);
        for (let k = 0; k < batch.n; k++) {
          const at = valueAt(tags, k) as number;
          pr[k] = pRows[at] as number;
          br[k] = bRows[at] as number;
        }
      }
      for (let k = 0; k < batch.n; k++) {
        if (probeMatched) probeMatched[pr[k] as number] = 1;
        if (table.matched) table.matched[br[k] as number] = 1;
      }
      count = 0;
      if (batch.n > 0) yield batch;
    };
    for (let i = 0; i < n; i++) {
      let b = first ? (first[i] as number) : table.rows > 0 ? 0 : -1;
      while (b >= 0) {
        pRows[count] = i;
        bRows[count] = b;
        if (++count === CHUNK) yield* flush();
        b = first ? table.chain(b) : b + 1 < table.rows ? b + 1 : -1;
      }
    }
    yield* flush();
    if (probeMatched) {
      const sel = new Int32Array(n);
      let m = 0;
      for (let i = 0; i < n; i++) if (!probeMatched[i]) sel[m++] = i;
      if (m > 0) yield assemble(probeOut, sel, new Int32Array(m).fill(-1), m);
    }
  }
  if (table.matched) {
    const matched = table.matched;
    for (let start = 0; start < table.rows; start += CHUNK) {
      const rows: number[] = [];
      for (let r = start; r < Math.min(table.rows, start + CHUNK); r++) if (!matched[r]) rows.push(r);
      if (rows.length === 0) continue;
      const nullProbe: Batch = {
        n: 1,
        cols: probe.plan.outputs.map((o) => fromValues(storageOf(o.type), [null])),
      };
      yield assemble(nullProbe, new Int32Array(rows.length).fill(-1), Int32Array.from(rows), rows.length);
    }
  }
}

/** Gather rows of a vector where -1 means NULL. */
function gatherNullable(v: Vec, rows: Int32Array, count: number, storage: "num" | "str" | "obj"): Vec {
  let hasNull = false;
  for (let i = 0; i < count; i++) {
    if ((rows[i] as number) < 0) {
      hasNull = true;
      break;
    }
  }
  if (!hasNull) return gather(v, rows, count);
  const out: unknown[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const r = rows[i] as number;
    out[i] = r < 0 ? null : valueAt(v, r);
  }
  return fromValues(storage, out);
}

// Aggregate states over group ids: count, sum, avg, min, max, count(DISTINCT), approx_count_distinct, quantiles.
import type { Bound } from "./bound";
import { ApproxDistinctState, DistinctState } from "./distinct-states";
import { flatten } from "./group-by";
import { bump, grow, growBytes, target } from "./grow";
import { compareIntervals, compareValues } from "./ops-logic";
import { QuantileState } from "./quantile-state";
import { isInteger, type SqlType, storageOf } from "./types";
import { asNum, fromValues, nonNullEntries, usedCodes, type Vec, valueAt } from "./vector";

export type AggKind = "count_star" | "count" | "sum" | "avg" | "min" | "max" | "approx_count_distinct" | "quantile";

export interface AggSpec {
  kind: AggKind;
  distinct: boolean;
  /** The argument, bound over the input batch; null for count(*). */
  arg: Bound | null;
  /** quantile_cont's fraction (median: 0.5). */
  fraction: number;
  type: SqlType;
}

export interface AggState {
  /** Fold a batch in: `gids` gives each row's group (null: one group), `groups` the groups so far. */
  update(gids: Int32Array | null, arg: Vec | null, n: number, groups: number): void;
  /** Values for groups 0..groups-1. */
  finish(groups: number): Vec;
  /** Values held (distinct sets, quantile lists), for the memory guard. */
  held(): number;
  /** Groups 0..groups-1 as plain data (typed arrays, arrays), to merge in another invocation. */
  exportPartial(groups: number): unknown;
  /** Fold in another state's export: its group i becomes this state's group `gids[i]` (null: group 0). */
  mergePartial(part: unknown, gids: Int32Array | null, groups: number): void;
}

/** Add `from` into `into` group by group. */
function addInto(into: Float64Array, from: Float64Array, gids: Int32Array | null): void {
  for (let i = 0; i < from.length; i++) {
    const g = target(gids, i);
    into[g] = (into[g] as number) + (from[i] as number);
  }
}

class CountState implements AggState {
  private counts: Float64Array = new Float64Array(16);
  constructor(private readonly star: boolean) {}

  update(gids: Int32Array | null, arg: Vec | null, n: number, groups: number): void {
    this.counts = grow(this.counts, groups);
    const c = this.counts;
    if (this.star || !arg) {
      if (!gids) c[0] = (c[0] as number) + n;
      else for (let i = 0; i < n; i++) bump(c, gids[i] as number);
      return;
    }
    if (arg.kind === "const") {
      if (arg.value === null) return;
      if (!gids) c[0] = (c[0] as number) + n;
      else for (let i = 0; i < n; i++) bump(c, gids[i] as number);
      return;
    }
    if (arg.kind === "dict" || arg.kind === "num") {
      const codes = arg.kind === "dict" ? arg.codes : null;
      const valid = arg.kind === "num" ? arg.valid : null;
      const entryOk = arg.kind === "dict" ? nonNullEntries(arg.dict) : null;
      if (!codes && !valid) {
        if (!gids) c[0] = (c[0] as number) + n;
        else for (let i = 0; i < n; i++) bump(c, gids[i] as number);
        return;
      }
      for (let i = 0; i < n; i++) {
        const ok = codes
          ? (codes[i] as number) >= 0 && (entryOk as Uint8Array)[codes[i] as number] === 1
          : valid?.[i] === 1;
        if (ok) bump(c, gids ? (gids[i] as number) : 0);
      }
      return;
    }
    const values = arg.values;
    for (let i = 0; i < n; i++)
      if (values[i] !== null && values[i] !== undefined) bump(c, gids ? (gids[i] as number) : 0);
  }

  finish(groups: number): Vec {
    return { kind: "num", n: groups, values: grow(this.counts, groups).slice(0, groups), valid: null };
  }

  held(): number {
    return 0;
  }

  exportPartial(groups: number): Float64Array {
    return grow(this.counts, groups).slice(0, groups);
  }

  mergePartial(part: unknown, gids: Int32Array | null, groups: number): void {
    this.counts = grow(this.counts, groups);
    addInto(this.counts, part as Float64Array, gids);
  }
}

const SPLIT = 16777216; // 2^24: integer sums kept exactly as hi * 2^24 + lo

/** sum and avg: integers are summed exactly (two accumulators), others as doubles. */
class SumState implements AggState {
  private hi: Float64Array = new Float64Array(16);
  private lo: Float64Array = new Float64Array(16);
  private counts: Float64Array = new Float64Array(16);

  constructor(
    private readonly exact: boolean,
    private readonly average: boolean,
  ) {}

  update(gids: Int32Array | null, arg: Vec | null, n: number, groups: number): void {
    this.hi = grow(this.hi, groups);
    this.lo = grow(this.lo, groups);
    this.counts = grow(this.counts, groups);
    const { hi, lo, counts } = this;
    const { values, valid } = asNum(arg as Vec);
    const exact = this.exact;
    for (let i = 0; i < n; i++) {
      if (valid && valid[i] === 0) continue;
      const g = gids ? (gids[i] as number) : 0;
      const x = values[i] as number;
      if (exact) {
        const h = Math.floor(x / SPLIT);
        hi[g] = (hi[g] as number) + h;
        lo[g] = (lo[g] as number) + (x - h * SPLIT);
      } else {
        lo[g] = (lo[g] as number) + x;
      }
      counts[g] = (counts[g] as number) + 1;
    }
  }

  finish(groups: number): Vec {
    const out = new Float64Array(groups);
    const valid = new Uint8Array(groups);
    const hi = grow(this.hi, groups);
    const lo = grow(this.lo, groups);
    const counts = grow(this.counts, groups);
    for (let g = 0; g < groups; g++) {
      if (counts[g] === 0) continue;
      valid[g] = 1;
      const count = counts[g] as number;
      if (this.exact) {
        const big = BigInt(hi[g] as number) * BigInt(SPLIT) + BigInt(lo[g] as number);
        const c = BigInt(count);
        out[g] = this.average ? Number(big / c) + Number(big % c) / count : Number(big);
      } else {
        out[g] = this.average ? (lo[g] as number) / count : (lo[g] as number);
      }
    }
    return { kind: "num", n: groups, values: out, valid };
  }

  held(): number {
    return 0;
  }

  exportPartial(groups: number): SumPartial {
    const cut = (a: Float64Array) => grow(a, groups).slice(0, groups);
    return { hi: cut(this.hi), lo: cut(this.lo), counts: cut(this.counts) };
  }

  mergePartial(part: unknown, gids: Int32Array | null, groups: number): void {
    const p = part as SumPartial;
    this.hi = grow(this.hi, groups);
    this.lo = grow(this.lo, groups);
    this.counts = grow(this.counts, groups);
    addInto(this.hi, p.hi, gids);
    addInto(this.lo, p.lo, gids);
    addInto(this.counts, p.counts, gids);
  }
}

interface SumPartial {
  hi: Float64Array;
  lo: Float64Array;
  counts: Float64Array;
}

interface ExtremePartial {
  has: Uint8Array;
  /** Numbers (typed) or other values, per group. */
  values: Float64Array | unknown[];
}

/** min and max over numbers (typed arrays) or strings. */
class ExtremeState implements AggState {
  private nums: Float64Array = new Float64Array(16);
  private has: Uint8Array = new Uint8Array(16);
  private others: unknown[] = [];

  /** Intervals (objects) compare by their length, everything else by value. */
  private readonly compare: (a: unknown, b: unknown) => number;

  constructor(
    private readonly max: boolean,
    private readonly physical: "num" | "str" | "obj",
  ) {
    this.compare = physical === "obj" ? compareIntervals : compareValues;
  }

  update(gids: Int32Array | null, arg: Vec | null, n: number, groups: number): void {
    const a = arg as Vec;
    this.has = growBytes(this.has, groups);
    const has = this.has;
    const sign = this.max ? 1 : -1;
    if (this.physical === "num") {
      this.nums = grow(this.nums, groups);
      const best = this.nums;
      const { values, valid } = asNum(a);
      for (let i = 0; i < n; i++) {
        if (valid && valid[i] === 0) continue;
        const g = gids ? (gids[i] as number) : 0;
        const x = values[i] as number;
        if (has[g] === 0 || sign * compareValues(x, best[g]) > 0) {
          best[g] = x;
          has[g] = 1;
        }
      }
      return;
    }
    const others = this.others;
    if (a.kind === "dict" && !gids) {
      const seen = usedCodes(a);
      for (let c = 0; c < seen.length; c++) {
        if (seen[c] === 0) continue;
        const v = valueAt(a.dict, c);
        if (v !== null && (has[0] === 0 || sign * this.compare(v, others[0]) > 0)) {
          others[0] = typeof v === "string" ? flatten(v) : v;
          has[0] = 1;
        }
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const v = valueAt(a, i);
      if (v === null) continue;
      const g = gids ? (gids[i] as number) : 0;
      if (has[g] === 0 || sign * this.compare(v, others[g]) > 0) {
        others[g] = typeof v === "string" ? flatten(v) : v;
        has[g] = 1;
      }
    }
  }

  finish(groups: number): Vec {
    const has = growBytes(this.has, groups);
    if (this.physical === "num") {
      return { kind: "num", n: groups, values: grow(this.nums, groups).slice(0, groups), valid: has.slice(0, groups) };
    }
    const out: unknown[] = new Array(groups);
    for (let g = 0; g < groups; g++) out[g] = has[g] ? this.others[g] : null;
    return fromValues(this.physical, out);
  }

  held(): number {
    return 0;
  }

  exportPartial(groups: number): ExtremePartial {
    const has = growBytes(this.has, groups).slice(0, groups);
    if (this.physical === "num") return { has, values: grow(this.nums, groups).slice(0, groups) };
    return { has, values: this.others.slice(0, groups) };
  }

  mergePartial(part: unknown, gids: Int32Array | null, groups: number): void {
    const p = part as ExtremePartial;
    this.has = growBytes(this.has, groups);
    if (this.physical === "num") this.nums = grow(this.nums, groups);
    const has = this.has;
    const best: Float64Array | unknown[] = this.physical === "num" ? this.nums : this.others;
    const sign = this.max ? 1 : -1;
    for (let i = 0; i < p.has.length; i++) {
      if (p.has[i] === 0) continue;
      const g = target(gids, i);
      const v = p.values[i];
      if (has[g] === 0 || sign * this.compare(v, best[g]) > 0) {
        best[g] = v as number;
        has[g] = 1;
      }
    }
  }
}

export function createState(spec: AggSpec): AggState {
  const argType = spec.arg?.type;
  switch (spec.kind) {
    case "count_star":
      return new CountState(true);
    case "count":
      return spec.distinct ? new DistinctState() : new CountState(false);
    case "sum":
      return new SumState(argType !== undefined && isInteger(argType), false);
    case "avg":
      return new SumState(argType !== undefined && isInteger(argType), true);
    case "min":
    case "max": {
      return new ExtremeState(spec.kind === "max", storageOf(argType ?? "INTEGER"));
    }
    case "approx_count_distinct":
      return new ApproxDistinctState();
    case "quantile":
      return new QuantileState(spec.fraction);
  }
}

// min and max over numbers (typed arrays), strings and intervals.
import type { AggState } from "./agg-state";
import { flatten } from "./group-by";
import { grow, growBytes, target } from "./grow";
import { compareIntervals, compareValues } from "./ops-logic";
import { asNum, fromValues, usedCodes, type Vec, valueAt } from "./vector";

interface ExtremePartial {
  has: Uint8Array;
  /** Numbers (typed) or other values, per group. */
  values: Float64Array | unknown[];
}

/** min and max over numbers (typed arrays) or strings. */
export class ExtremeState implements AggState {
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

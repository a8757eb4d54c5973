// sum and avg: integers summed exactly in two accumulators, others as doubles.
import type { AggState } from "./agg-state";
import { addInto, grow } from "./grow";
import { asNum, type Vec } from "./vector";

const SPLIT = 16777216; // 2^24: integer sums kept exactly as hi * 2^24 + lo

/** sum and avg: integers are summed exactly (two accumulators), others as doubles. */
export class SumState implements AggState {
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

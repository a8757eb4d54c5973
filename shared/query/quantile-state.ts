// quantile_cont and median: every value of a group kept, sorted at the end, interpolated like DuckDB.
import type { AggState } from "./agg-state";
import { target } from "./grow";
import { asNum, type Vec } from "./vector";

/** quantile_cont and median: exact, from every value of the group, interpolated like DuckDB. */
export class QuantileState implements AggState {
  private lists: number[][] = [];
  private total = 0;

  constructor(private readonly fraction: number) {}

  update(gids: Int32Array | null, arg: Vec | null, n: number): void {
    const { values, valid } = asNum(arg as Vec);
    for (let i = 0; i < n; i++) {
      if (valid && valid[i] === 0) continue;
      const g = gids ? (gids[i] as number) : 0;
      let list = this.lists[g];
      if (!list) this.lists[g] = list = [];
      list.push(values[i] as number);
      this.total++;
    }
  }

  finish(groups: number): Vec {
    const out = new Float64Array(groups);
    const valid = new Uint8Array(groups);
    for (let g = 0; g < groups; g++) {
      const list = this.lists[g];
      if (!list || list.length === 0) continue;
      const sorted = Float64Array.from(list).sort();
      const pos = this.fraction * (sorted.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      const a = sorted[lo] as number;
      const b = sorted[hi] as number;
      out[g] = lo === hi ? a : a + (pos - lo) * (b - a);
      valid[g] = 1;
    }
    return { kind: "num", n: groups, values: out, valid };
  }

  held(): number {
    return this.total;
  }

  exportPartial(groups: number): Float64Array[] {
    return Array.from({ length: groups }, (_, g) => Float64Array.from(this.lists[g] ?? []));
  }

  mergePartial(part: unknown, gids: Int32Array | null): void {
    const lists = part as Float64Array[];
    for (let i = 0; i < lists.length; i++) {
      const values = lists[i] as Float64Array;
      if (values.length === 0) continue;
      const g = target(gids, i);
      let list = this.lists[g];
      if (!list) this.lists[g] = list = [];
      for (const x of values) list.push(x);
      this.total += values.length;
    }
  }
}

// Aggregates that need a group's values: string_agg (joined in arrival order), mode (the most
// frequent value, the first to reach that count on ties), approx_quantile (exact here: the value at
// the nearest rank, which is within any approximation's error).
import type { AggState } from "./agg-state";
import { target } from "./grow";
import { compareValues } from "./ops-logic";
import { fromValues, type Vec, valueAt } from "./vector";

export type ListKind = "string_agg" | "mode" | "approx_quantile";

export class ListState implements AggState {
  private lists: unknown[][] = [];
  private total = 0;

  constructor(
    private readonly kind: ListKind,
    private readonly storage: "num" | "str" | "obj",
    /** string_agg's separator, approx_quantile's fraction. */
    private readonly param: unknown,
  ) {}

  update(gids: Int32Array | null, arg: Vec | null, n: number): void {
    const v = arg as Vec;
    for (let i = 0; i < n; i++) {
      const x = valueAt(v, i);
      if (x === null) continue;
      const g = gids ? (gids[i] as number) : 0;
      let list = this.lists[g];
      if (!list) this.lists[g] = list = [];
      list.push(x);
      this.total++;
    }
  }

  private value(list: unknown[] | undefined): unknown {
    if (!list || list.length === 0) return null;
    switch (this.kind) {
      case "string_agg":
        return list.join(String(this.param));
      case "mode": {
        const counts = new Map<unknown, number>();
        let best: unknown = null;
        let bestCount = 0;
        for (const x of list) {
          const c = (counts.get(x) ?? 0) + 1;
          counts.set(x, c);
          if (c > bestCount) {
            best = x;
            bestCount = c;
          }
        }
        return best;
      }
      case "approx_quantile": {
        const sorted = [...list].sort(compareValues);
        const pos = Math.round((this.param as number) * (sorted.length - 1));
        return sorted[Math.max(0, Math.min(sorted.length - 1, pos))];
      }
    }
  }

  finish(groups: number): Vec {
    const out: unknown[] = new Array(groups);
    for (let g = 0; g < groups; g++) out[g] = this.value(this.lists[g]);
    return fromValues(this.storage, out);
  }

  held(): number {
    return this.total;
  }

  exportPartial(groups: number): unknown[][] {
    return Array.from({ length: groups }, (_, g) => this.lists[g] ?? []);
  }

  mergePartial(part: unknown, gids: Int32Array | null): void {
    const lists = part as unknown[][];
    for (let i = 0; i < lists.length; i++) {
      const values = lists[i] as unknown[];
      if (values.length === 0) continue;
      const g = target(gids, i);
      let list = this.lists[g];
      if (!list) this.lists[g] = list = [];
      for (const x of values) list.push(x);
      this.total += values.length;
    }
  }
}

// The mergeable state of one group in one window: count, numeric summaries, HLLs and quantile sketches.
import { z } from "zod";
import { getOrInsert } from "../collections";
import { hashValue } from "../sketch/hash";
import { HllJson, HyperLogLog } from "../sketch/hll";
import { DDSketch, SketchJson } from "./dd-sketch";
import type { EventView } from "./fields";
import type { MetricDefinition } from "./metric-def";

const NumAgg = z.object({ n: z.number(), sum: z.number(), min: z.number().nullable(), max: z.number().nullable() });
type NumAgg = z.infer<typeof NumAgg>;

export const GroupStateJson = z.object({
  count: z.number().int().min(0),
  num: z.record(z.string(), NumAgg).optional(),
  hll: z.record(z.string(), HllJson).optional(),
  q: z.record(z.string(), SketchJson).optional(),
});
export type GroupStateJson = z.infer<typeof GroupStateJson>;

/** Which fields a metric's aggregates need, computed once per definition. */
export interface AggregatePlan {
  numeric: string[];
  distinct: string[];
  quantile: string[];
}

export function planOf(def: Pick<MetricDefinition, "aggregates">): AggregatePlan {
  const numeric = new Set<string>();
  const distinct = new Set<string>();
  const quantile = new Set<string>();
  for (const a of def.aggregates) {
    if (a.fn === "distinct") distinct.add(a.field);
    else if (a.fn === "quantiles") quantile.add(a.field);
    else if (a.fn !== "count") numeric.add(a.field);
  }
  return { numeric: [...numeric], distinct: [...distinct], quantile: [...quantile] };
}

export class GroupState {
  count = 0;
  readonly num = new Map<string, NumAgg>();
  readonly hll = new Map<string, HyperLogLog>();
  readonly q = new Map<string, DDSketch>();

  /** Counts one event that passed the filter. */
  add(view: EventView, plan: AggregatePlan): void {
    this.count++;
    for (const f of plan.numeric) {
      const v = view.number(f);
      if (v === undefined) continue;
      const a = this.num.get(f);
      if (!a) this.num.set(f, { n: 1, sum: v, min: v, max: v });
      else {
        a.n++;
        a.sum += v;
        a.min = a.min === null ? v : Math.min(a.min, v);
        a.max = a.max === null ? v : Math.max(a.max, v);
      }
    }
    for (const f of plan.distinct) {
      const v = view.scalar(f);
      if (v === null) continue;
      // The hash SQL's approx_count_distinct and the rollups use, so all three count alike.
      getOrInsert(this.hll, f, () => new HyperLogLog()).add(hashValue(v));
    }
    for (const f of plan.quantile) {
      const v = view.number(f);
      if (v === undefined) continue;
      getOrInsert(this.q, f, () => new DDSketch()).add(v);
    }
  }

  /** Folds `other` in; commutative and associative (sums up to floating-point rounding). */
  merge(other: GroupState): this {
    this.count += other.count;
    for (const [f, b] of other.num) {
      const a = this.num.get(f);
      if (!a) this.num.set(f, { ...b });
      else {
        a.n += b.n;
        a.sum += b.sum;
        a.min = minOf(a.min, b.min);
        a.max = maxOf(a.max, b.max);
      }
    }
    for (const [f, h] of other.hll) {
      const mine = this.hll.get(f);
      if (mine) mine.merge(h);
      else this.hll.set(f, new HyperLogLog().merge(h));
    }
    for (const [f, s] of other.q) {
      const mine = this.q.get(f);
      if (mine) mine.merge(s);
      else this.q.set(f, new DDSketch().merge(s));
    }
    return this;
  }

  toJSON(): GroupStateJson {
    const out: GroupStateJson = { count: this.count };
    if (this.num.size) out.num = Object.fromEntries([...this.num].map(([f, a]) => [f, { ...a }]));
    if (this.hll.size) out.hll = Object.fromEntries([...this.hll].map(([f, h]) => [f, h.toJSON()]));
    if (this.q.size) out.q = Object.fromEntries([...this.q].map(([f, s]) => [f, s.toJSON()]));
    return out;
  }

  static fromJSON(json: GroupStateJson): GroupState {
    const g = new GroupState();
    g.count = json.count;
    for (const [f, a] of Object.entries(json.num ?? {})) g.num.set(f, { ...a });
    for (const [f, h] of Object.entries(json.hll ?? {})) g.hll.set(f, HyperLogLog.fromJSON(h));
    for (const [f, s] of Object.entries(json.q ?? {})) g.q.set(f, DDSketch.fromJSON(s));
    return g;
  }
}

const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** Merges two stored states (the Durable Object's read-merge-write step). */
export function mergeStateJson(a: GroupStateJson, b: GroupStateJson): GroupStateJson {
  return GroupState.fromJSON(a).merge(GroupState.fromJSON(b)).toJSON();
}

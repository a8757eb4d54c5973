// Answering a matched query from hourly rollup groups, with the engine's columns, types and order.
import { fromBase64 } from "../base64";
import { rowComparator } from "../query/sink";
import { HyperLogLog } from "../sketch/hll";
import type { RollupDim, RollupLevel, RollupSketch } from "./dims";
import type { RollupPlan } from "./match";

/** A stored group: sketches as bytes or base64 text (decoded only when the query needs them). */
export interface StoredGroup {
  hourMs: number;
  level: RollupLevel;
  dims: Record<RollupDim, string | null>;
  count: number;
  sketches: Record<RollupSketch, Uint8Array | string>;
}

interface Acc {
  keys: unknown[];
  count: number;
  sketches: Map<RollupSketch, HyperLogLog>;
}

const decode = (s: Uint8Array | string) => HyperLogLog.fromBytes(typeof s === "string" ? fromBase64(s) : s);

/** Whether a group is of the plan's level and falls in its hours and event types. */
export function inPlan(
  plan: RollupPlan,
  g: { hourMs: number; level: RollupLevel; dims: { event_type: string | null } },
): boolean {
  if (g.level !== plan.level) return false;
  if (plan.fromMs !== null && g.hourMs < plan.fromMs) return false;
  if (plan.toMs !== null && g.hourMs >= plan.toMs) return false;
  return plan.eventTypes === null || plan.eventTypes.has(g.dims.event_type as string);
}

/**
 * Aggregates the groups of the plan's level as the engine would aggregate the raw rows: counts add
 * up, sketches merge (register maxima and sparse unions, so the estimate equals approx_count_distinct's).
 * Groups of other levels are skipped (each level alone covers every row).
 */
export function answerFromRollups(
  plan: RollupPlan,
  groups: Iterable<StoredGroup>,
): { meta: { name: string; type: string }[]; rows: unknown[][] } {
  const columns = new Set(plan.aggs.flatMap((a) => (a.kind === "distinct" ? [a.column] : [])));
  const accs = new Map<string, Acc>();
  for (const g of groups) {
    if (!inPlan(plan, g)) continue;
    const keys = plan.keys.map((k) => (k.kind === "dim" ? g.dims[k.dim] : Math.floor(g.hourMs / k.width) * k.width));
    const id = JSON.stringify(keys);
    let acc = accs.get(id);
    if (!acc) {
      acc = { keys, count: 0, sketches: new Map() };
      accs.set(id, acc);
    }
    acc.count += g.count;
    for (const c of columns) {
      const s = decode(g.sketches[c]);
      const have = acc.sketches.get(c);
      if (have) have.merge(s);
      else acc.sketches.set(c, s);
    }
  }
  // Without grouping keys an aggregate has one row even over no input, as in SQL.
  if (plan.keys.length === 0 && accs.size === 0) accs.set("[]", { keys: [], count: 0, sketches: new Map() });
  const rows: unknown[][] = [];
  for (const acc of accs.values()) {
    const values = [
      ...acc.keys,
      ...plan.aggs.map((a) => (a.kind === "count" ? acc.count : (acc.sketches.get(a.column)?.estimate() ?? 0))),
    ];
    const row = plan.outputs.map((slot) => values[slot]);
    for (const o of plan.orderBy) row.push(values[(o.expr as { slot: number }).slot]);
    rows.push(row);
  }
  if (plan.orderBy.length > 0) rows.sort(rowComparator(plan.orderBy, plan.outputs.length));
  const end = plan.limit === null ? undefined : plan.offset + plan.limit;
  const types = plan.columns.map((c) => c.type);
  return {
    meta: plan.columns,
    rows: rows
      .slice(plan.offset, end)
      .map((r) =>
        plan.outputs.map((_, j) => (r[j] !== null && types[j] === "TIMESTAMP" ? new Date(r[j] as number) : r[j])),
      ),
  };
}

// Which queries a rollup answers exactly: a small pattern over the engine's bound plan.

import { bindSelect, type OrderSpec, type QueryPlan } from "../query/bind";
import type { Bound } from "../query/bound";
import { type Parsed, parseQuery } from "../query/parse";
import { EVENTS_TABLE, TABLE_COLUMNS } from "../query/schema";
import {
  DAY_MS,
  HOUR_MS,
  levelFor,
  ROLLUP_DIMS,
  ROLLUP_SKETCHES,
  type RollupDim,
  type RollupLevel,
  type RollupSketch,
} from "./dims";

export type RollupKey = { kind: "dim"; dim: RollupDim } | { kind: "trunc"; width: number };
export type RollupAgg = { kind: "count" } | { kind: "distinct"; column: RollupSketch };

/** A query the rollups can answer, with everything needed to answer it like the engine would. */
export interface RollupPlan {
  /** Hours in [fromMs, toMs) count; null is unbounded. Both are hour-aligned. */
  fromMs: number | null;
  toMs: number | null;
  /** Only these event types (null: all). */
  eventTypes: Set<string> | null;
  /** The table named in FROM: `events` or one event type. */
  table: string;
  /** The smallest rollup level keeping every dimension the query groups by or filters on. */
  level: RollupLevel;
  keys: RollupKey[];
  aggs: RollupAgg[];
  /** Each output column's slot in [keys…, aggs…]. */
  outputs: number[];
  /** ORDER BY over the same slots, with the engine's null ordering. */
  orderBy: OrderSpec[];
  limit: number | null;
  offset: number;
  columns: { name: string; type: string }[];
}

const slotOf = (name: string) => TABLE_COLUMNS.findIndex((c) => c.name === name);
const TS = slotOf("ts");
const EVENT_TYPE = slotOf("event_type");
const DIM_BY_SLOT = new Map<number, RollupDim>(ROLLUP_DIMS.map((d) => [slotOf(d), d]));
const SKETCH_BY_SLOT = new Map<number, RollupSketch>(ROLLUP_SKETCHES.map((c) => [slotOf(c), c]));
const TRUNC: Record<string, number> = { "date_trunc:hour": HOUR_MS, "date_trunc:day": DAY_MS };

function conjuncts(b: Bound): Bound[] {
  return b.kind === "fn" && b.fn.name === "AND" ? b.args.flatMap(conjuncts) : [b];
}

const isCol = (b: Bound | undefined, slot: number) => b?.kind === "col" && b.slot === slot;

/** A timestamp constant on an hour boundary, as epoch ms. */
function hourConst(b: Bound | undefined): number | null {
  if (b?.kind !== "const" || b.type !== "TIMESTAMP" || typeof b.value !== "number") return null;
  return b.value % HOUR_MS === 0 ? b.value : null;
}

function stringConst(b: Bound | undefined): string | null {
  return b?.kind === "const" && b.type === "VARCHAR" && typeof b.value === "string" ? b.value : null;
}

interface Filter {
  fromMs: number | null;
  toMs: number | null;
  eventTypes: Set<string> | null;
}

function narrowTypes(f: Filter, values: string[]): void {
  f.eventTypes = f.eventTypes ? new Set(values.filter((v) => f.eventTypes?.has(v))) : new Set(values);
}

/** WHERE as hour-aligned `ts >=` / `ts <` bounds and event_type `=` / `IN`, or null for anything else. */
function matchWhere(where: Bound | null, f: Filter): boolean {
  if (!where) return true;
  for (const c of conjuncts(where)) {
    if (c.kind !== "fn") return false;
    const [l, r] = c.args;
    const name = c.fn.name;
    if ((name === ">=" || name === "<") && isCol(l, TS)) {
      const v = hourConst(r);
      if (v === null) return false;
      if (name === ">=") f.fromMs = f.fromMs === null ? v : Math.max(f.fromMs, v);
      else f.toMs = f.toMs === null ? v : Math.min(f.toMs, v);
      continue;
    }
    if (name === "=" && isCol(l, EVENT_TYPE) && stringConst(r) !== null) {
      narrowTypes(f, [stringConst(r) as string]);
      continue;
    }
    if (name === "IN" && isCol(l, EVENT_TYPE)) {
      const values = c.args.slice(1).map(stringConst);
      if (values.some((v) => v === null)) return false;
      narrowTypes(f, values as string[]);
      continue;
    }
    return false;
  }
  return true;
}

function matchKey(k: Bound): RollupKey | null {
  if (k.kind === "col") {
    const dim = DIM_BY_SLOT.get(k.slot);
    return dim ? { kind: "dim", dim } : null;
  }
  if (k.kind === "fn" && k.type === "TIMESTAMP" && TRUNC[k.fn.name] && isCol(k.args[1], TS)) {
    return { kind: "trunc", width: TRUNC[k.fn.name] as number };
  }
  return null;
}

function matchPlan(plan: QueryPlan): RollupPlan | null {
  if (plan.source.kind !== "table" || !plan.aggregate || plan.having || plan.distinct) return null;
  // Windows (and QUALIFY) and subqueries' answers are the engine's to compute.
  if (plan.windows || plan.subqueries?.length) return null;
  const table = plan.source.table;
  // datasets.<name> is that event type's table even when it is called `events`.
  const everything = table === EVENTS_TABLE && !plan.source.dataset;
  const filter: Filter = { fromMs: null, toMs: null, eventTypes: everything ? null : new Set([table]) };
  if (!matchWhere(plan.where, filter)) return null;
  const keys: RollupKey[] = [];
  for (const k of plan.aggregate.keys) {
    const m = matchKey(k);
    if (!m) return null;
    keys.push(m);
  }
  const aggs: RollupAgg[] = [];
  for (const a of plan.aggregate.aggs) {
    if (a.kind === "count_star") aggs.push({ kind: "count" });
    else if (a.kind === "approx_count_distinct" && a.arg?.kind === "col" && SKETCH_BY_SLOT.has(a.arg.slot)) {
      aggs.push({ kind: "distinct", column: SKETCH_BY_SLOT.get(a.arg.slot) as RollupSketch });
    } else return null;
  }
  const width = keys.length + aggs.length;
  const post = (b: Bound): number | null => (b.kind === "col" && b.slot >= 0 && b.slot < width ? b.slot : null);
  const outputs = plan.outputs.map(post);
  if (outputs.some((o) => o === null)) return null;
  if (plan.orderBy.some((o) => post(o.expr) === null)) return null;
  // With LIMIT or OFFSET, ties would make the chosen rows differ from the engine's: require a total order.
  if ((plan.limit !== null || plan.offset > 0) && keys.length > 0) {
    const ordered = new Set(plan.orderBy.map((o) => post(o.expr)));
    if (!keys.every((_, i) => ordered.has(i))) return null;
  }
  // Filters are on ts and event_type only, which every level keeps.
  const level = levelFor(keys.flatMap((k) => (k.kind === "dim" ? [k.dim] : [])));
  return {
    ...filter,
    table,
    level,
    keys,
    aggs,
    outputs: outputs as number[],
    orderBy: plan.orderBy,
    limit: plan.limit,
    offset: plan.offset,
    columns: plan.columns.map((c) => ({ name: c.name, type: c.type })),
  };
}

/**
 * The rollup plan for a query, or null when rollups could not give exactly the engine's answer
 * (anything outside counts and approximate distinct users/sessions by envelope dimensions and
 * hour or day, over hour-aligned time ranges and event types). Never throws: a query that does
 * not parse or bind is the engine's to report.
 * @example matchRollupQuery("SELECT event_type, count(*) FROM events GROUP BY 1") // { keys: [{ kind: "dim", … }], … }
 */
export function matchRollupQuery(query: string | Parsed, nowMs = Date.now()): RollupPlan | null {
  try {
    const parsed = typeof query === "string" ? parseQuery(query) : query;
    return matchPlan(bindSelect(parsed.select, { ctx: { nowMs } }));
  } catch {
    return null;
  }
}

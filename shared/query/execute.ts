// Running a bound plan: source batches → WHERE → (grouping) → HAVING → output, streaming where it can.
import type { Compressors } from "hyparquet";
import { type AggState, createState } from "./aggregates";
import type { QueryPlan } from "./bind";
import type { EvalContext } from "./bound";
import type { FileFilter, FooterCache, QueryCatalog, ScanStatistics } from "./catalog";
import { NameError, QueryError } from "./errors";
import { applyFilter, evaluate, filterSteps } from "./evaluate";
import { GroupTable } from "./group-by";
import { extractRanges, mayMatch } from "./prune";
import { type ScanOptions, scanFiles } from "./scan";
import { EVENTS_TABLE, TABLE_COLUMNS } from "./schema";
import { Sink } from "./sink";
import { physicalOf } from "./types";
import { type Batch, fromValues, type Vec } from "./vector";

export interface ExecEnv {
  catalog: QueryCatalog;
  ctx: EvalContext;
  stats: ScanStatistics & { files_listed: number };
  compressors: Compressors;
  footerCache?: FooterCache;
  maxRows: number;
  maxGroups: number;
  /** Throws when the query ran out of time. */
  checkpoint: () => void;
}

/** What the scan may use from the end of the plan: a top-k bound, or how few rows a LIMIT needs. */
function scanHints(plan: QueryPlan, sink: Sink): Pick<ScanOptions, "topK" | "firstBatchRows"> {
  if (plan.aggregate || plan.distinct || plan.limit === null) return {};
  const first = plan.orderBy[0];
  if (!first) return { firstBatchRows: Math.max(1024, plan.limit + plan.offset) };
  if (first.expr.kind !== "col") return {};
  return {
    topK: {
      column: TABLE_COLUMNS[first.expr.slot]?.name as string,
      desc: first.desc,
      nullsFirst: first.nullsFirst,
      worst: () => sink.worstKey(),
    },
  };
}

async function* scanTable(plan: QueryPlan, table: string, env: ExecEnv, sink: Sink): AsyncGenerator<Batch> {
  const bySlot = extractRanges(plan.where);
  const ranges = new Map([...bySlot].map(([slot, r]) => [TABLE_COLUMNS[slot]?.name as string, r]));
  const ts = ranges.get("ts");
  const types = ranges.get("event_type");
  const filter: FileFilter = {};
  if (typeof ts?.lo === "number") filter.minTs = ts.lo;
  if (typeof ts?.hi === "number") filter.maxTs = ts.hi;
  if (types?.values) filter.eventTypes = [...types.values].filter((v): v is string => typeof v === "string");
  const files = await env.catalog.listFiles(table, filter);
  if (files === null) throw new NameError(`Table "${table}" does not exist`, table);
  env.stats.files_listed += files.length;
  const kept = files.filter(
    (f) => f.rows > 0 && (!ts || mayMatch(ts, f.minTs, f.maxTs)) && (!types || mayMatch(types, f.dataset, f.dataset)),
  );
  yield* scanFiles({
    catalog: env.catalog,
    files: kept,
    columns: plan.needed.map((slot) => ({
      slot,
      name: TABLE_COLUMNS[slot]?.name as string,
      type: TABLE_COLUMNS[slot]?.type ?? "VARCHAR",
    })),
    width: TABLE_COLUMNS.length,
    ranges,
    compressors: env.compressors,
    footerCache: env.footerCache,
    stats: env.stats,
    checkpoint: env.checkpoint,
    ...scanHints(plan, sink),
  });
}

function source(plan: QueryPlan, env: ExecEnv, sink: Sink): AsyncGenerator<Batch> {
  const s = plan.source;
  if (s.kind === "subquery") return execute(s.plan, env);
  if (s.kind === "table")
    return scanTable(plan, s.table.toLowerCase() === EVENTS_TABLE ? EVENTS_TABLE : s.table, env, sink);
  return (async function* () {
    yield { n: 1, cols: [] };
  })();
}

class Aggregator {
  private readonly table: GroupTable | null;
  private readonly states: AggState[];

  constructor(
    private readonly agg: NonNullable<QueryPlan["aggregate"]>,
    private readonly env: ExecEnv,
  ) {
    this.table = agg.keys.length > 0 ? new GroupTable(agg.keys.length) : null;
    this.states = agg.aggs.map(createState);
  }

  add(batch: Batch): void {
    const ctx = this.env.ctx;
    let gids: Int32Array | null = null;
    let groups = 1;
    if (this.table) {
      gids = this.table.assign(
        this.agg.keys.map((k) => evaluate(k, batch, ctx)),
        batch.n,
      );
      groups = this.table.count;
    }
    this.agg.aggs.forEach((spec, i) => {
      const arg = spec.arg ? evaluate(spec.arg, batch, ctx) : null;
      (this.states[i] as AggState).update(gids, arg, batch.n, groups);
    });
    const held = this.states.reduce((s, st) => s + st.held(), 0);
    if (groups > this.env.maxGroups || held > this.env.maxGroups * 4) {
      throw new QueryError(
        "QUERY_TOO_LARGE",
        `The query keeps more than ${this.env.maxGroups} groups or distinct values in memory; filter more, group coarser or use approx_count_distinct`,
      );
    }
  }

  finish(): Batch {
    const groups = this.table ? this.table.count : 1;
    const cols: Vec[] = this.agg.keys.map((k, i) => {
      const phys = physicalOf(k.type);
      return fromValues(phys === "null" ? "num" : phys, (this.table as GroupTable).keyValues(i));
    });
    for (const s of this.states) cols.push(s.finish(groups));
    return { n: groups, cols };
  }
}

/** The plan's result as batches of its output columns. */
export async function* execute(plan: QueryPlan, env: ExecEnv): AsyncGenerator<Batch> {
  const steps = filterSteps(plan.where);
  const sink = new Sink(plan, env.ctx, env.maxRows);
  if (sink.done) return;
  if (plan.aggregate) {
    const agg = new Aggregator(plan.aggregate, env);
    for await (const batch of source(plan, env, sink)) {
      env.checkpoint();
      const kept = applyFilter(steps, batch, env.ctx);
      if (kept.n > 0) agg.add(kept);
    }
    let grouped = agg.finish();
    if (plan.having) grouped = applyFilter(filterSteps(plan.having), grouped, env.ctx);
    const out = sink.push(grouped);
    if (out) yield out;
  } else {
    for await (const batch of source(plan, env, sink)) {
      env.checkpoint();
      const out = sink.push(applyFilter(steps, batch, env.ctx));
      if (out) yield out;
      if (sink.done) break;
    }
  }
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

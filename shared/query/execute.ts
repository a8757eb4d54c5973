// Running a bound plan: source batches → WHERE → (grouping) → HAVING → output, streaming where it can.
// A large table scan can be split over sub-invocations (env.fanOut): each runs the same SELECT over
// some files up to its partial answer, and the coordinator merges them and finishes the SELECT.
import type { Compressors } from "hyparquet";
import { type AggState, createState } from "./aggregates";
import type { QueryPlan } from "./bind";
import type { EvalContext } from "./bound";
import type { FileFilter, FileRef, FooterCache, QueryCatalog, ScanStatistics } from "./catalog";
import { NameError, QueryError } from "./errors";
import { applyFilter, evaluate, filterSteps } from "./evaluate";
import { GroupTable } from "./group-by";
import { compareValues } from "./ops-logic";
import {
  addStatistics,
  cutSplits,
  type FanOut,
  FinalSplitError,
  type PartialAnswer,
  runSplits,
  shouldSplit,
} from "./partial";
import { type ColumnRange, extractRanges, mayMatch } from "./prune";
import { type ScanOptions, scanFiles, topKOrder } from "./scan";
import { EVENTS_TABLE, TABLE_COLUMNS } from "./schema";
import { Sink } from "./sink";
import { physicalOf } from "./types";
import { type Batch, fromValues, type Vec, valueAt } from "./vector";

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
  /** The query's text and time limit (epoch ms), which splits are given. */
  sql: string;
  deadline: number;
  /** When set, scans of many files are split over sub-invocations. */
  fanOut?: FanOut;
}

/** Of two bounds on the k-th row's first ORDER BY key, the one that prunes more (both are safe). */
function tighter(a: unknown, b: unknown, desc: boolean): unknown {
  if (a === undefined || a === null) return b;
  if (b === undefined || b === null) return a;
  const c = compareValues(a, b);
  return desc ? (c >= 0 ? a : b) : c <= 0 ? a : b;
}

/**
 * What the scan may use from the end of the plan: a top-k bound, or how few rows a LIMIT needs.
 * `bound` is a k-th key already known elsewhere (a split's coordinator).
 */
function scanHints(plan: QueryPlan, sink: Sink, bound?: unknown): Pick<ScanOptions, "topK" | "firstBatchRows"> {
  if (plan.aggregate || plan.distinct || plan.limit === null) return {};
  const first = plan.orderBy[0];
  if (!first) return { firstBatchRows: Math.max(1024, plan.limit + plan.offset) };
  if (first.expr.kind !== "col") return {};
  return {
    topK: {
      column: TABLE_COLUMNS[first.expr.slot]?.name as string,
      desc: first.desc,
      nullsFirst: first.nullsFirst,
      worst: () => tighter(sink.worstKey(), bound, first.desc),
    },
  };
}

/** A table's files after manifest pruning, and WHERE's requirements on its columns. */
interface TableScan {
  files: FileRef[];
  ranges: Map<string, ColumnRange>;
}

function rangesOf(plan: QueryPlan): Map<string, ColumnRange> {
  const bySlot = extractRanges(plan.where);
  return new Map([...bySlot].map(([slot, r]) => [TABLE_COLUMNS[slot]?.name as string, r]));
}

/** Files of the table that may hold matching rows (by the manifest's ts range and dataset). */
function keptFiles(files: FileRef[], ranges: Map<string, ColumnRange>): FileRef[] {
  const ts = ranges.get("ts");
  const types = ranges.get("event_type");
  return files.filter(
    (f) => f.rows > 0 && (!ts || mayMatch(ts, f.minTs, f.maxTs)) && (!types || mayMatch(types, f.dataset, f.dataset)),
  );
}

async function listTable(plan: QueryPlan, table: string, env: ExecEnv): Promise<TableScan> {
  const ranges = rangesOf(plan);
  const ts = ranges.get("ts");
  const types = ranges.get("event_type");
  const filter: FileFilter = {};
  if (typeof ts?.lo === "number") filter.minTs = ts.lo;
  if (typeof ts?.hi === "number") filter.maxTs = ts.hi;
  if (types?.values) filter.eventTypes = [...types.values].filter((v): v is string => typeof v === "string");
  const files = await env.catalog.listFiles(table, filter);
  if (files === null) throw new NameError(`Table "${table}" does not exist`, table);
  env.stats.files_listed += files.length;
  return { files: keptFiles(files, ranges), ranges };
}

function scanTable(plan: QueryPlan, scan: TableScan, env: ExecEnv, sink: Sink, bound?: unknown): AsyncGenerator<Batch> {
  return scanFiles({
    catalog: env.catalog,
    files: scan.files,
    columns: plan.needed.map((slot) => ({
      slot,
      name: TABLE_COLUMNS[slot]?.name as string,
      type: TABLE_COLUMNS[slot]?.type ?? "VARCHAR",
    })),
    width: TABLE_COLUMNS.length,
    ranges: scan.ranges,
    compressors: env.compressors,
    footerCache: env.footerCache,
    stats: env.stats,
    checkpoint: env.checkpoint,
    ...scanHints(plan, sink, bound),
  });
}

function tableName(plan: QueryPlan): string | null {
  if (plan.source.kind !== "table") return null;
  return plan.source.table.toLowerCase() === EVENTS_TABLE ? EVENTS_TABLE : plan.source.table;
}

function source(plan: QueryPlan, env: ExecEnv, depth: number): AsyncGenerator<Batch> {
  if (plan.source.kind === "subquery") return execute(plan.source.plan, env, depth + 1);
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
    this.guard(groups);
  }

  /** Fold in a split's partial answer. */
  merge(part: PartialAnswer): void {
    if (part.kind !== "groups") throw new Error("a split of a grouped query answered with rows");
    if (part.count === 0) return;
    let gids: Int32Array | null = null;
    let groups = 1;
    if (this.table) {
      const keys = this.agg.keys.map((k, i) => {
        const phys = physicalOf(k.type);
        return fromValues(phys === "null" ? "num" : phys, part.keys[i] as unknown[]);
      });
      gids = this.table.assign(keys, part.count);
      groups = this.table.count;
    }
    this.states.forEach((state, i) => {
      state.mergePartial(part.states[i], gids, groups);
    });
    this.guard(groups);
  }

  /** This invocation's groups and aggregate states, for a coordinator to merge. */
  exportPartial(): PartialAnswer {
    const groups = this.table ? this.table.count : 1;
    return {
      kind: "groups",
      count: groups,
      keys: this.agg.keys.map((_, i) => (this.table as GroupTable).keyValues(i)),
      states: this.states.map((s) => s.exportPartial(groups)),
    };
  }

  private guard(groups: number): void {
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

/** The grouped rows through HAVING into the sink. */
function* finishGroups(plan: QueryPlan, agg: Aggregator, env: ExecEnv, sink: Sink): Generator<Batch> {
  let grouped = agg.finish();
  if (plan.having) grouped = applyFilter(filterSteps(plan.having), grouped, env.ctx);
  const out = sink.push(grouped);
  if (out) yield out;
}

/** The plan's result as batches of its output columns; `depth` counts FROM subqueries above it. */
export async function* execute(plan: QueryPlan, env: ExecEnv, depth = 0): AsyncGenerator<Batch> {
  const steps = filterSteps(plan.where);
  const sink = new Sink(plan, env.ctx, env.maxRows);
  if (sink.done) return;
  const table = tableName(plan);
  const scan = table === null ? null : await listTable(plan, table, env);
  const shape = { grouped: plan.aggregate !== null, rows: plan.limit === null ? null : plan.limit + plan.offset };
  if (scan && env.fanOut && shouldSplit(scan.files, env.fanOut, shape)) {
    yield* fanOut(plan, env, depth, scan.files, sink);
    return;
  }
  const input = scan ? scanTable(plan, scan, env, sink) : source(plan, env, depth);
  if (plan.aggregate) {
    const agg = new Aggregator(plan.aggregate, env);
    for await (const batch of input) {
      env.checkpoint();
      const kept = applyFilter(steps, batch, env.ctx);
      if (kept.n > 0) agg.add(kept);
    }
    yield* finishGroups(plan, agg, env, sink);
  } else {
    for await (const batch of input) {
      env.checkpoint();
      const out = sink.push(applyFilter(steps, batch, env.ctx));
      if (out) yield out;
      if (sink.done) break;
    }
  }
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/** Coordinate a split scan: run the splits, merge their partial answers, finish the SELECT here. */
async function* fanOut(plan: QueryPlan, env: ExecEnv, depth: number, files: FileRef[], sink: Sink) {
  const fan = env.fanOut as FanOut;
  const topK = scanHints(plan, sink).topK;
  const request = (part: FileRef[]) =>
    fan.run({
      sql: env.sql,
      nowMs: env.ctx.nowMs,
      depth,
      files: part,
      timeoutMs: Number.isFinite(env.deadline) ? Math.max(0, env.deadline - Date.now()) : undefined,
      maxGroups: env.maxGroups,
      maxRows: env.maxRows,
      // The k-th row so far lets later splits skip files and row groups that cannot beat it.
      bound: topK ? sink.worstKey() : undefined,
    });
  // ORDER BY … LIMIT: likely winners first, and the first split alone so the others start with a bound.
  const splits = cutSplits(topKOrder(files, topK), fan);
  // A split that fails for any reason but the query's own (a lost invocation) is run once more,
  // while the request stays under its 32 Worker invocations.
  let retries = Math.min(4, Math.max(0, 31 - splits.length));
  const run = (part: FileRef[]) =>
    request(part).catch((error: unknown) => {
      if (error instanceof QueryError && error.code === "QUERY_TIMEOUT") env.checkpoint();
      if (error instanceof QueryError || error instanceof FinalSplitError || retries <= 0) throw error;
      retries--;
      return request(part);
    });
  const answers = runSplits(splits, fan.concurrency, run, { firstAlone: topK !== undefined });
  const agg = plan.aggregate ? new Aggregator(plan.aggregate, env) : null;
  for await (const { files: part, result } of answers) {
    env.checkpoint();
    let partial = result.partial;
    if (partial.kind === "too_large") {
      // Too big to send back: read those files here, as a single invocation would.
      partial = await executePartial(plan, env, part, topK ? sink.worstKey() : undefined);
    } else {
      addStatistics(env.stats, result.statistics);
      env.stats.splits++;
    }
    if (agg) {
      agg.merge(partial);
      continue;
    }
    if (partial.kind !== "rows") throw new Error("a split of an ungrouped query answered with groups");
    const out = sink.pushRows(partial.rows);
    if (out) yield out;
    if (sink.done) break;
  }
  if (agg) yield* finishGroups(plan, agg, env, sink);
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/** A split's work: the plan over the given files, up to its partial answer (see PartialAnswer). */
export async function executePartial(
  plan: QueryPlan,
  env: ExecEnv,
  files: FileRef[],
  bound?: unknown,
): Promise<PartialAnswer> {
  const steps = filterSteps(plan.where);
  const ranges = rangesOf(plan);
  const scan = { files: keptFiles(files, ranges), ranges };
  // No OFFSET here: the coordinator skips rows once every split's rows are in.
  const own: QueryPlan = { ...plan, offset: 0, limit: plan.limit === null ? null : plan.limit + plan.offset };
  const sink = new Sink(own, env.ctx, env.maxRows);
  if (plan.aggregate) {
    const agg = new Aggregator(plan.aggregate, env);
    for await (const batch of scanTable(own, scan, env, sink)) {
      env.checkpoint();
      const kept = applyFilter(steps, batch, env.ctx);
      if (kept.n > 0) agg.add(kept);
    }
    return agg.exportPartial();
  }
  const rows: unknown[][] = [];
  if (sink.done) return { kind: "rows", rows };
  for await (const batch of scanTable(own, scan, env, sink, bound)) {
    env.checkpoint();
    const out = sink.push(applyFilter(steps, batch, env.ctx));
    if (out) {
      for (let i = 0; i < out.n; i++) rows.push(out.cols.map((c) => valueAt(c as Vec, i)));
      if (rows.length > env.maxRows) {
        throw new QueryError(
          "QUERY_TOO_LARGE",
          `The result has more than ${env.maxRows} rows; add a LIMIT or aggregate further`,
        );
      }
    }
    if (sink.done) break;
  }
  return { kind: "rows", rows: sink.buffering ? sink.partialRows() : rows };
}

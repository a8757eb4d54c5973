// Reading a plan's table: files pruned by the manifest, WHERE's column ranges, and top-k hints.
import type { QueryPlan } from "./bind";
import type { ColumnInfo } from "./bind-expr";
import type { FileFilter, FileRef } from "./catalog";
import { NameError } from "./errors";
import type { ExecEnv } from "./exec-env";
import { compareValues } from "./ops-logic";
import { type ColumnRange, extractRanges, mayMatch } from "./prune";
import { type ScanOptions, scanFiles } from "./scan";
import { EVENTS_TABLE, TABLE_COLUMNS } from "./schema";
import type { Sink } from "./sink";
import type { Batch } from "./vector";

/** The columns of the plan's base table by slot (the lake's, then any typed ones). */
export function sourceColumns(plan: QueryPlan): ColumnInfo[] {
  return plan.source.kind === "table" ? plan.source.columns : TABLE_COLUMNS;
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
export function scanHints(plan: QueryPlan, sink: Sink, bound?: unknown): Pick<ScanOptions, "topK" | "firstBatchRows"> {
  if (plan.aggregate || plan.distinct || plan.windows || plan.limit === null) return {};
  const first = plan.orderBy[0];
  if (!first) return { firstBatchRows: Math.max(1024, plan.limit + plan.offset) };
  if (first.expr.kind !== "col") return {};
  return {
    topK: {
      column: sourceColumns(plan)[first.expr.slot]?.name as string,
      desc: first.desc,
      nullsFirst: first.nullsFirst,
      worst: () => tighter(sink.worstKey(), bound, first.desc),
    },
  };
}

/** A table's files after manifest pruning, and WHERE's requirements on its columns. */
export interface TableScan {
  files: FileRef[];
  ranges: Map<string, ColumnRange>;
}

export function rangesOf(plan: QueryPlan): Map<string, ColumnRange> {
  const bySlot = extractRanges(plan.where);
  const columns = sourceColumns(plan);
  return new Map([...bySlot].map(([slot, r]) => [columns[slot]?.name as string, r]));
}

/** Files of the table that may hold matching rows (by the manifest's ts range and dataset). */
export function keptFiles(files: FileRef[], ranges: Map<string, ColumnRange>): FileRef[] {
  const ts = ranges.get("ts");
  const types = ranges.get("event_type");
  return files.filter(
    (f) =>
      f.rows > 0 &&
      (f.own || ((!ts || mayMatch(ts, f.minTs, f.maxTs)) && (!types || mayMatch(types, f.dataset, f.dataset)))),
  );
}

/** The plan's table listing (asked of the catalog once per plan and run). */
export function listTable(plan: QueryPlan, table: string, env: ExecEnv): Promise<TableScan> {
  let listing = env.listings.get(plan) as Promise<TableScan> | undefined;
  if (!listing) {
    listing = listTableNow(plan, table, env);
    env.listings.set(plan, listing);
  }
  return listing;
}

async function listTableNow(plan: QueryPlan, table: string, env: ExecEnv): Promise<TableScan> {
  const ranges = rangesOf(plan);
  const ts = ranges.get("ts");
  const types = ranges.get("event_type");
  const filter: FileFilter = {};
  if (typeof ts?.lo === "number") filter.minTs = ts.lo;
  if (typeof ts?.hi === "number") filter.maxTs = ts.hi;
  if (types?.values) filter.eventTypes = [...types.values].filter((v): v is string => typeof v === "string");
  const exact = plan.source.kind === "table" && plan.source.dataset === true;
  if (exact) filter.eventTypes = (filter.eventTypes ?? [table]).filter((t) => t === table);
  const listed = await env.catalog.listFiles(exact ? EVENTS_TABLE : table, filter);
  if (listed === null) throw new NameError(`Table "${table}" does not exist`, table);
  // datasets.<name>: the type's own files, even when it is called `events`.
  const files = exact ? listed.filter((f) => f.dataset === table) : listed;
  env.stats.files_listed += files.length;
  return { files: keptFiles(files, ranges), ranges };
}

export function scanTable(
  plan: QueryPlan,
  scan: TableScan,
  env: ExecEnv,
  sink: Sink,
  bound?: unknown,
): AsyncGenerator<Batch> {
  const columns = sourceColumns(plan);
  return scanFiles({
    catalog: env.catalog,
    files: scan.files,
    columns: plan.needed.map((slot) => ({
      slot,
      name: columns[slot]?.name as string,
      type: columns[slot]?.type ?? "VARCHAR",
    })),
    width: columns.length,
    ranges: scan.ranges,
    compressors: env.compressors,
    footerCache: env.footerCache,
    stats: env.stats,
    checkpoint: env.checkpoint,
    interner: env.interner,
    ...scanHints(plan, sink, bound),
  });
}

export function tableName(plan: QueryPlan): string | null {
  if (plan.source.kind !== "table") return null;
  if (plan.source.dataset) return plan.source.table;
  return plan.source.table.toLowerCase() === EVENTS_TABLE ? EVENTS_TABLE : plan.source.table;
}

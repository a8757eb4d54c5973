// EXPLAIN: what a SELECT would read, without reading it. Each table scan of the plan tree is
// listed through the catalog (the manifest's pruning), pruned by the files' time ranges and event
// types as the scan would be, and cut into the splits the scan would run.
import type { QueryPlan } from "./bind";
import type { ExecEnv } from "./exec-env";
import { estimateRows, splittable } from "./execute";
import { cutSplits, shouldSplit } from "./partial";
import { allPlans } from "./plan-tree";
import { DATASETS_SCHEMA } from "./schema";
import { listTable, sourceColumns, tableName } from "./table-scan";
import { windowSplits } from "./window-partitions";

export interface ScanExplain {
  /** The scan's plan number: 0 for the outermost SELECT, then pre-order over FROM, joins and subqueries. */
  depth: number;
  table: string;
  /** Files the manifest returned for the table and WHERE's time range. */
  files_listed: number;
  /** Files left after pruning by each file's event-time range and event type. */
  files_to_read: number;
  rows_to_read: number;
  bytes_to_read: number;
  /** Columns read from the files (the rest are never fetched). */
  columns: string[];
  /** WHERE's bounds on `ts` (ISO-8601, null when open) and its event types, as used for pruning. */
  time_range: { from: string | null; to: string | null } | null;
  event_types: string[] | null;
  /** Sub-invocations the scan is split over (0: read in this invocation). */
  splits: number;
  /** Row groups are pruned by their statistics at read time; this explains the file level. */
  grouped: boolean;
  limit: number | null;
}

const iso = (v: unknown) => (typeof v === "number" ? new Date(v).toISOString() : null);

/** A join as EXPLAIN shows it: its type, the side it would build its hash table from, and why. */
export interface JoinExplain {
  /** The plan number of the query block that joins. */
  depth: number;
  type: string;
  /** Equality keys (a hash join) or none (every pair tested: a nested-loop join). */
  keys: number;
  /** The side held in memory: the one the manifest says has fewer rows after pruning. */
  build: "left" | "right";
  estimated_rows: { left: number; right: number };
  /** The tables each side reads. */
  tables: { left: string[]; right: string[] };
}

export interface QueryExplain {
  /** Every table the query reads (FROM, joins, set operations, subqueries), once each. */
  tables: string[];
  scans: ScanExplain[];
  joins: JoinExplain[];
}

function scanName(plan: QueryPlan, table: string): string {
  return plan.source.kind === "table" && plan.source.dataset ? `${DATASETS_SCHEMA}.${table}` : table;
}

function tablesOf(plan: QueryPlan): string[] {
  const out = new Set<string>();
  for (const p of allPlans(plan)) {
    const t = tableName(p);
    if (t !== null) out.add(scanName(p, t));
  }
  return [...out];
}

/** The scans and joins of the plan tree, in plan order (depth = the plan's number). */
export async function explainScans(root: QueryPlan, env: ExecEnv): Promise<QueryExplain> {
  const scans: ScanExplain[] = [];
  const joins: JoinExplain[] = [];
  for (const current of allPlans(root)) {
    const depth = current.id;
    if (current.source.kind === "join") {
      const j = current.source.join;
      const [left, right] = await Promise.all([estimateRows(j.left, env), estimateRows(j.right, env)]);
      joins.push({
        depth,
        type: j.joinType,
        keys: j.leftKeys.length,
        build: left < right ? "left" : "right",
        estimated_rows: { left, right },
        tables: { left: tablesOf(j.left), right: tablesOf(j.right) },
      });
    }
    const table = tableName(current);
    if (table !== null) {
      const listedBefore = env.stats.files_listed;
      const scan = await listTable(current, table, env);
      const ts = scan.ranges.get("ts");
      const types = scan.ranges.get("event_type")?.values;
      const shape = {
        grouped: current.aggregate !== null || (current.joinSide === true && current.where !== null),
        rows: current.limit === null ? null : current.limit + current.offset,
      };
      const split = env.fanOut && splittable(current) && shouldSplit(scan.files, env.fanOut, shape);
      const columns = sourceColumns(current);
      scans.push({
        depth,
        table: scanName(current, table),
        files_listed: env.stats.files_listed - listedBefore,
        files_to_read: scan.files.length,
        rows_to_read: scan.files.reduce((n, f) => n + f.rows, 0),
        bytes_to_read: scan.files.reduce((n, f) => n + (f.bytes ?? 0), 0),
        columns: current.needed.map((slot) => columns[slot]?.name as string),
        time_range: ts && (ts.lo !== undefined || ts.hi !== undefined) ? { from: iso(ts.lo), to: iso(ts.hi) } : null,
        event_types: types ? [...types].filter((v): v is string => typeof v === "string").sort() : null,
        splits: split && env.fanOut ? cutSplits(scan.files, env.fanOut).length : await windowSplits(current, env),
        grouped: current.aggregate !== null,
        limit: shape.rows,
      });
    }
  }
  return { tables: tablesOf(root), scans, joins };
}

export interface ExplainRequest {
  /** `EXPLAIN`: plan only. `EXPLAIN ANALYZE`: run it as well and report what it read. */
  mode: "none" | "plan" | "analyze";
  /** The SELECT, with the prefix blanked out so error positions still point into the original text. */
  sql: string;
}

/** Whitespace and comments, then EXPLAIN and an optional ANALYZE, at the start of a query. */
const EXPLAIN_HEAD =
  /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*explain\b(?:(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)+(analyze)\b)?/i;

/** Splits a leading `EXPLAIN [ANALYZE]` off a query (reads only its head: every query passes here). */
export function explainPrefix(sql: string): ExplainRequest {
  const head = EXPLAIN_HEAD.exec(sql);
  if (!head) return { mode: "none", sql };
  const end = head[0].length;
  return { mode: head[1] ? "analyze" : "plan", sql: sql.slice(0, end).replace(/[^\n]/g, " ") + sql.slice(end) };
}

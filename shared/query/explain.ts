// EXPLAIN: what a SELECT would read, without reading it. Each table scan in the FROM chain is
// listed through the catalog (the manifest's pruning), pruned by the files' time ranges and event
// types as the scan would be, and cut into the splits the scan would run.
import type { QueryPlan } from "./bind";
import type { ExecEnv } from "./exec-env";
import { cutSplits, shouldSplit } from "./partial";
import { listTable, sourceColumns, tableName } from "./table-scan";

export interface ScanExplain {
  /** 0 for the outermost SELECT, +1 per FROM subquery or CTE. */
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

/** The scans of the plan's FROM chain, outermost first. */
export async function explainScans(plan: QueryPlan, env: ExecEnv): Promise<ScanExplain[]> {
  const out: ScanExplain[] = [];
  let current: QueryPlan | null = plan;
  for (let depth = 0; current; depth++) {
    const table = tableName(current);
    if (table !== null) {
      const listedBefore = env.stats.files_listed;
      const scan = await listTable(current, table, env);
      const ts = scan.ranges.get("ts");
      const types = scan.ranges.get("event_type")?.values;
      const shape = {
        grouped: current.aggregate !== null,
        rows: current.limit === null ? null : current.limit + current.offset,
      };
      const split = env.fanOut && shouldSplit(scan.files, env.fanOut, shape);
      const columns = sourceColumns(current);
      out.push({
        depth,
        table,
        files_listed: env.stats.files_listed - listedBefore,
        files_to_read: scan.files.length,
        rows_to_read: scan.files.reduce((n, f) => n + f.rows, 0),
        bytes_to_read: scan.files.reduce((n, f) => n + (f.bytes ?? 0), 0),
        columns: current.needed.map((slot) => columns[slot]?.name as string),
        time_range: ts && (ts.lo !== undefined || ts.hi !== undefined) ? { from: iso(ts.lo), to: iso(ts.hi) } : null,
        event_types: types ? [...types].filter((v): v is string => typeof v === "string").sort() : null,
        splits: split && env.fanOut ? cutSplits(scan.files, env.fanOut).length : 0,
        grouped: shape.grouped,
        limit: shape.rows,
      });
    }
    current = current.source.kind === "subquery" ? current.source.plan : null;
  }
  return out;
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

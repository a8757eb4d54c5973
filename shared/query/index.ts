// Tarn's SQL engine: a read-only DuckDB-dialect subset over the lake's Parquet files, pure TypeScript
// (runs in workerd: no cloudflare:* imports, no eval, row groups streamed, only needed columns read).
//
// What the query coordinator (services/query/coordinator.ts) does around `runQuery`:
// - Catalog: `listFiles(table, filter)` over one project's current manifest ("events" = every dataset,
//   any other name = that dataset; null for an unknown table). The filter carries the ts range and
//   event types found in WHERE; use it to prune in D1. Every row of a file must have
//   event_type = FileRef.dataset (the lake's layout), as the engine prunes files by it too.
//   `openFile(key)` returns an AsyncBuffer of ranged R2 reads; small files (≤ 2 MB) are read whole.
// - Footers: pass one `createFooterCache()` per isolate as `options.footerCache` (lake files are
//   immutable under their keys), so repeated queries do not re-read Parquet footers.
// - Errors: QueryError.code INVALID_SQL → 400 (with `position` when known), QUERY_TOO_LARGE → 413,
//   QUERY_TIMEOUT → 408. Anything else is a bug or an I/O failure (500).
// - Statistics: files_pruned counts files the catalog listed but the engine did not read (ts range or
//   dataset of the FileRef, row-group statistics, top-k bounds). Report
//   files_pruned = (files of the table − files listed) + statistics.files_pruned; elapsed is the
//   adapter's own clock.
// - Validation: `validateQuery(sql, datasets)` checks names without touching R2; runQuery reports an
//   unknown table only once listFiles returns null.
// - Scale-out: with `options.fanOut`, a scan of more than `filesPerSplit` files or `rowsPerSplit`
//   rows (after manifest pruning) is cut into splits of whole files; `fanOut.run` must hand each SplitRequest to `runSplit` in another
//   invocation (with a catalog whose openFile serves the request's files) and return its SplitResult.
//   The coordinator merges the partial answers (groups with their aggregate states, or rows) and
//   finishes the SELECT, so the answer is the one a single invocation gives. Windows over more rows
//   than maxJoinRows run in hash partitions of their shared PARTITION BY keys, a split each
//   (SplitRequest.partition; window-partitions.ts).
//
// Dialect notes: WITH and subqueries in FROM are bound recursively and streamed; a CTE is inlined
// where it is used, and predicates are not pushed from an outer query into a subquery's scan (put
// time filters where the table is read). Joins (hash-join.ts) run in this invocation over sides that
// are plans of their own: WHERE and ON conditions on one side are pushed into that side's scan (and
// so into manifest and row-group pruning), and a side's scan is split over sub-invocations like any
// scan (each split answers the side's filtered, projected rows; the coordinator builds and probes).
// A split names its scan by the plan's pre-order number (SplitRequest.depth; plan-tree.ts).
// Not supported: DISTINCT inside aggregates other than count, recursive CTEs, LATERAL, NATURAL joins.
import { lakeCompressors } from "../parquet/codecs";
import type { Select } from "./ast";
import type { QueryPlan } from "./bind";
import type { ColumnInfo } from "./bind-expr";
import type { SqlModel } from "./bound";
import type { FooterCache, QueryCatalog, ScanStatistics } from "./catalog";
import { emptyStatistics } from "./catalog";
import { NameError, QueryError, type SqlPosition } from "./errors";
import type { ExecEnv } from "./exec-env";
import { execute } from "./execute";
import { explainScans, type QueryExplain } from "./explain";
import { groupPartitionable, groupPartitionPartial, ownOverflow } from "./group-partitions";
import { StringInterner } from "./interner";
import { findName, type Token, tokenize } from "./lexer";
import { type Parsed, parseQuery } from "./parse";
import { type FanOut, partialBytes, type SplitRequest, type SplitResult } from "./partial";
import { findPlan, planQuery } from "./plan-tree";
import { appendRows } from "./result";
import { applyRowFilters, columnsFrom, parseRowFilter, type RowFilters, withIdentity } from "./row-filters";
import { EVENTS_TABLE, TABLE_COLUMNS } from "./schema";
import { executePartial } from "./split-run";
import { partitionPartial, sharedPartitionKeys } from "./window-partitions";

export type { SqlModel } from "./bound";
export type { FileFilter, FileRef, FooterCache, QueryCatalog, ScanStatistics as QueryStatistics } from "./catalog";
export { emptyStatistics } from "./catalog";
export { QueryError, type QueryErrorCode, type SqlPosition } from "./errors";
export { type ExplainRequest, explainPrefix, type JoinExplain, type QueryExplain, type ScanExplain } from "./explain";
export { createFooterCache } from "./footer-cache";
export { type Parsed, parseQuery } from "./parse";
export { type FanOut, FinalSplitError, type PartialAnswer, type SplitRequest, type SplitResult } from "./partial";
export { type Identity, parseRowFilter, type RowFilter, type RowFilters } from "./row-filters";
export { sqlTableName } from "./schema";

export interface QueryOptions {
  /** now() for the query (default: the current time). */
  now?: Date;
  /** More result rows than this is QUERY_TOO_LARGE (default 100,000). */
  maxResultRows?: number;
  /** Groups or distinct values held in memory past this is QUERY_TOO_LARGE (default 500,000). */
  maxGroups?: number;
  /** Past this many milliseconds the query stops with QUERY_TIMEOUT (default: no limit). */
  timeoutMs?: number;
  /** Parsed Parquet footers kept across queries (files are immutable under their keys). */
  footerCache?: FooterCache;
  /** Split scans of many files over sub-invocations (see the header). */
  fanOut?: FanOut;
  /**
   * Rows a join may hold of its build side, a windowed query of its rows (of each hash partition, when its windows share a
   * PARTITION BY key), and a subquery in an expression may return, before the
   * query is QUERY_TOO_LARGE (default 500,000: a hash table and a few columns of that many rows stay well inside 128 MB).
   */
  maxJoinRows?: number;
  /** Whole column lists of tables that are not just the lake's columns (see BindOptions). */
  tableColumns?: Readonly<Record<string, ColumnInfo[]>>;
  /** Row-level policies of the principal asking: every table reference is filtered (row-filters.ts). */
  rowFilters?: RowFilters;
  /** Models SQL's `predict('<model_id>', …)` may call (a query calling one must not be split). */
  models?: Readonly<Record<string, SqlModel>>;
}

/** The SELECT as the principal may see it: its tables filtered by its row-level policies. */
export function policySelect(
  select: Select,
  options: Pick<QueryOptions, "rowFilters" | "tableColumns">,
): { select: Select; filtered: string[] } {
  if (!options.rowFilters || options.rowFilters.filters.length === 0) return { select, filtered: [] };
  return applyRowFilters(select, options.rowFilters, columnsFrom(options.tableColumns, TABLE_COLUMNS));
}

export interface QueryResult {
  /** Column names and DuckDB type names (VARCHAR, BIGINT, DOUBLE, TIMESTAMP, BOOLEAN, JSON, HUGEINT, DECIMAL(p,s)…). */
  meta: { name: string; type: string }[];
  /**
   * Row-major values: string (VARCHAR, JSON as its text, INTERVAL in DuckDB's text form), number
   * (integers when safe, else bigint; DOUBLE and DECIMAL as number), boolean, Date (TIMESTAMP, DATE,
   * TIMESTAMP WITH TIME ZONE; UTC) or null.
   */
  rows: unknown[][];
  statistics: ScanStatistics;
}

/** Words of an error message that name a construct: quoted names and upper-case keywords. */
function constructWords(message: string): string[] {
  const quoted = [...message.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
  const keywords = [...message.matchAll(/\b([A-Z][A-Z_]{2,})\b/g)].map((m) => m[1] as string);
  return [...quoted, ...keywords.filter((k) => k !== "SELECT" && k !== "BOOLEAN" && k !== "NULL")];
}

/** Give an INVALID_SQL error the line and column of the name or construct it is about, where it appears. */
function locate(error: unknown, parsed: Parsed | null, sql: string): unknown {
  if (!(error instanceof QueryError) || error.position || error.code !== "INVALID_SQL") return error;
  const tokens = parsed?.tokens ?? safeTokens(sql);
  if (!tokens) return error;
  const words = error instanceof NameError ? [error.name_] : constructWords(error.message);
  for (const word of words) {
    const position: SqlPosition | undefined = findName(sql, tokens, word);
    if (position) return new QueryError(error.code, error.message, position);
  }
  return error;
}

function safeTokens(sql: string): Token[] | null {
  try {
    return tokenize(sql);
  } catch {
    return null;
  }
}

/**
 * Check a query without running it: it parses, is a single SELECT, and names only known tables,
 * columns and functions. `tables` lists the event types (datasets); `events` is always known.
 * @example validateQuery('SELECT count(*) FROM "order.created"', ["order.created"]) // { valid: true }
 */
export function validateQuery(
  sql: string,
  tables: string[],
  tableColumns?: Readonly<Record<string, ColumnInfo[]>>,
): { valid: true } | { valid: false; errors: string[] } {
  let parsed: Parsed | null = null;
  try {
    parsed = parseQuery(sql);
    const known = new Set([EVENTS_TABLE, ...tables].map((t) => t.toLowerCase()));
    planQuery(parsed.select, {
      ctx: { nowMs: Date.now() },
      tableExists: (name) => known.has(name.toLowerCase()),
      tableColumns,
    });
    return { valid: true };
  } catch (error) {
    const located = locate(error, parsed, sql);
    if (!(located instanceof QueryError)) throw located;
    const at = located.position ? ` (line ${located.position.line}, column ${located.position.column})` : "";
    return { valid: false, errors: [`${located.message}${at}`] };
  }
}

/**
 * Check a row-level policy's filter against the table it is for (`*`: the lake's columns, as in
 * `events`): one boolean expression over its columns and the identity functions.
 * @example validateRowFilter("region = current_user_attribute('region')", "*") // { valid: true }
 */
export function validateRowFilter(
  filter: string,
  table: string,
  tableColumns?: Readonly<Record<string, ColumnInfo[]>>,
): { valid: true } | { valid: false; errors: string[] } {
  try {
    const where = withIdentity(parseRowFilter(filter), {
      userId: "user",
      email: "user@example.com",
      role: "viewer",
      attributes: {},
    });
    const select: Select = {
      ctes: [],
      distinct: false,
      items: [{ expr: { kind: "star", table: null }, alias: null }],
      from: { kind: "table", name: table === "*" ? EVENTS_TABLE : table, alias: null },
      where,
      groupBy: [],
      having: null,
      qualify: null,
      orderBy: [],
      limit: null,
      offset: 0,
    };
    planQuery(select, { ctx: { nowMs: Date.now() }, tableColumns });
    return { valid: true };
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    return { valid: false, errors: [error.message] };
  }
}

/**
 * Run one SELECT over the catalog's files: prune by manifest and statistics, read only the needed
 * columns, stream row groups, and answer with DuckDB's types.
 * @example const { meta, rows } = await runQuery("SELECT event_type, count(*) AS n FROM events GROUP BY 1", catalog)
 */
function timeoutError(timeoutMs: number | undefined): QueryError {
  return new QueryError("QUERY_TIMEOUT", `The query ran past its time limit of ${timeoutMs} ms`);
}

/** Everything execution needs besides the plan. */
function execEnv(sql: string, catalog: QueryCatalog, nowMs: number, options: QueryOptions, deadline: number): ExecEnv {
  return {
    catalog,
    ctx: { nowMs, models: options.models },
    stats: { ...emptyStatistics(), files_listed: 0 },
    compressors: lakeCompressors,
    footerCache: options.footerCache,
    maxRows: options.maxResultRows ?? 100_000,
    maxGroups: options.maxGroups ?? 500_000,
    checkpoint: () => {
      if (Date.now() > deadline) throw timeoutError(options.timeoutMs);
    },
    sql,
    deadline,
    fanOut: options.fanOut,
    maxJoinRows: options.maxJoinRows ?? 500_000,
    listings: new WeakMap(),
    joins: [],
    interner: new StringInterner(),
    tableColumns: options.tableColumns,
    rowFilters: options.rowFilters,
  };
}

/** Run `work`, rejecting with QUERY_TIMEOUT once the deadline passes even if it is stuck on I/O. */
async function withDeadline<T>(work: Promise<T>, deadline: number, timeoutMs: number | undefined): Promise<T> {
  if (!Number.isFinite(deadline)) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(timeoutMs)), Math.max(0, deadline - Date.now()));
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run one SELECT over the catalog's files: prune by manifest and statistics, read only the needed
 * columns, stream row groups, and answer with DuckDB's types.
 * @example const { meta, rows } = await runQuery("SELECT event_type, count(*) AS n FROM events GROUP BY 1", catalog)
 */
export async function runQuery(
  query: string | Parsed,
  catalog: QueryCatalog,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const started = Date.now();
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : started + options.timeoutMs;
  const sql = typeof query === "string" ? query : query.sql;
  let parsed: Parsed | null = typeof query === "string" ? null : query;
  try {
    parsed ??= parseQuery(sql);
    const env = execEnv(sql, catalog, (options.now ?? new Date()).getTime(), options, deadline);
    const plan = planQuery(policySelect(parsed.select, options).select, {
      ctx: env.ctx,
      tableColumns: options.tableColumns,
    });
    const rows: unknown[][] = [];
    const run = (async () => {
      for await (const batch of execute(plan, env)) {
        appendRows(rows, batch, plan.columns);
        if (rows.length > env.maxRows) {
          throw new QueryError(
            "QUERY_TOO_LARGE",
            `The result has more than ${env.maxRows} rows; add a LIMIT or aggregate further`,
          );
        }
      }
    })();
    await withDeadline(run, deadline, options.timeoutMs);
    const { files_listed, ...statistics } = env.stats;
    statistics.files_pruned = Math.max(0, files_listed - statistics.files_read);
    return { meta: plan.columns.map((c) => ({ name: c.name, type: c.type })), rows, statistics };
  } catch (error) {
    throw locate(error, parsed, sql);
  }
}

/**
 * What the SELECT would read, scan by scan, and how it would join, without reading any file (EXPLAIN).
 * @example const { scans: [scan] } = await explainQuery("SELECT count(*) FROM events WHERE ts >= now() - INTERVAL 1 HOUR", catalog)
 */
export async function explainQuery(
  query: string | Parsed,
  catalog: QueryCatalog,
  options: Pick<QueryOptions, "now" | "fanOut" | "tableColumns" | "rowFilters" | "models"> = {},
): Promise<QueryExplain> {
  const sql = typeof query === "string" ? query : query.sql;
  let parsed: Parsed | null = typeof query === "string" ? null : query;
  try {
    parsed ??= parseQuery(sql);
    const env = execEnv(sql, catalog, (options.now ?? new Date()).getTime(), options, Number.POSITIVE_INFINITY);
    const select = policySelect(parsed.select, options).select;
    return await explainScans(planQuery(select, { ctx: env.ctx, tableColumns: options.tableColumns }), env);
  } catch (error) {
    throw locate(error, parsed, sql);
  }
}

/**
 * One split of a query another invocation coordinates (QueryOptions.fanOut): the SELECT at
 * `request.depth` over `request.files` only, up to its partial answer. The catalog needs only
 * `openFile` for those files. Errors are the same QueryErrors runQuery throws.
 */
export async function runSplit(
  request: SplitRequest,
  catalog: QueryCatalog,
  options: Pick<QueryOptions, "footerCache"> & {
    /**
     * A partial answer bigger than this (serialized, about) is not sent: the split answers
     * `too_large` and the coordinator reads its files itself (an RPC message is limited).
     */
    maxPartialBytes?: number;
  } = {},
): Promise<SplitResult> {
  const deadline = request.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + request.timeoutMs;
  const env = execEnv(
    request.sql,
    catalog,
    request.nowMs,
    {
      ...options,
      timeoutMs: request.timeoutMs,
      maxGroups: request.maxGroups,
      maxResultRows: request.maxRows,
      tableColumns: request.tableColumns,
      rowFilters: request.rowFilters,
      maxJoinRows: request.maxJoinRows,
    },
    deadline,
  );
  // The split filters as the coordinator did, so its plan (and its depth numbering) is the same.
  const select = policySelect(parseQuery(request.sql).select, request).select;
  const root = planQuery(select, { ctx: env.ctx, tableColumns: request.tableColumns });
  const plan = findPlan(root, request.depth);
  if (request.partition) {
    // A window block's hash partition: the block reads the request's files, keeping its partition's rows.
    const block = findPlan(root, request.partition.window);
    if (!plan || !block || !sharedPartitionKeys(block))
      throw new Error(`split ${request.partition.window} does not name a window block of the query`);
    env.windowPartition = { ...request.partition, files: request.files };
  } else if (plan?.source.kind !== "table")
    throw new Error(`split ${request.depth} does not name a table scan of the query`);
  else if (request.groupPartition && !groupPartitionable(plan))
    throw new Error(`split ${request.depth} does not name a GROUP BY of the query`);
  const work = request.partition
    ? partitionPartial(plan as QueryPlan, env, execute)
    : request.groupPartition
      ? groupPartitionPartial(plan as QueryPlan, env, request.files, request.groupPartition)
      : executePartial(plan as QueryPlan, env, request.files, request.bound).catch((error: unknown) => {
          // These files alone pass the group cap: the coordinator runs the GROUP BY in hash partitions.
          if (ownOverflow(plan as QueryPlan, error)) return { kind: "too_many_groups" } as const;
          throw error;
        });
  const partial = await withDeadline(work, deadline, request.timeoutMs);
  const { files_listed: _, ...statistics } = env.stats;
  const limit = options.maxPartialBytes ?? Number.POSITIVE_INFINITY;
  if (Number.isFinite(limit)) {
    const bytes = partialBytes(partial);
    if (bytes > limit) return { partial: { kind: "too_large", bytes }, statistics };
  }
  return { partial, statistics };
}

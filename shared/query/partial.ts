// Splitting a scan over sub-invocations: what a split is asked, what it answers, and how answers merge.

import type { ColumnInfo } from "./bind-expr";
import type { FileRef, ScanStatistics } from "./catalog";
import type { RowFilters } from "./row-filters";

/** One split of a query: the same SQL, run over some of the files of the scan at `depth`. */
export interface SplitRequest {
  sql: string;
  /** now() of the whole query (epoch ms), so every split sees the same clock. */
  nowMs: number;
  /** Which SELECT reads the table: 0 is the outermost, 1 its FROM subquery, and so on. */
  depth: number;
  /** The files this split reads, already pruned by the coordinator. */
  files: FileRef[];
  /** Milliseconds left of the query's time limit (none: no limit). */
  timeoutMs?: number;
  maxGroups: number;
  maxRows: number;
  /**
   * ORDER BY <column> … LIMIT k: the first key of the coordinator's k-th row so far, when known.
   * Files and row groups whose values all sort after it cannot enter the answer and are skipped.
   */
  bound?: unknown;
  /** Columns per table, as the coordinator bound the query (see BindOptions). */
  tableColumns?: Readonly<Record<string, ColumnInfo[]>>;
  /** The principal's row-level policies, as the coordinator applied them. */
  rowFilters?: RowFilters;
  /** The coordinator's cap on rows held (QueryOptions.maxJoinRows), so the split holds no more. */
  maxJoinRows?: number;
  /**
   * A hash partition of a window block (window-partitions.ts): `files` are that block's whole scan,
   * of which the split keeps the rows whose PARTITION BY keys hash to `index` mod `count`; `depth`
   * is the block or the plan above it whose partial answer the split sends back.
   */
  partition?: WindowPartitionSpec;
  /**
   * A hash partition of a GROUP BY past the group cap (group-partitions.ts): `files` are the grouped
   * plan's whole scan (`depth`), of which the split keeps the rows whose GROUP BY keys hash to
   * `index` mod `count`, and answers that partition's finished rows.
   */
  groupPartition?: HashPartition;
}

/** Which hash partition of a key set: rows whose keys hash to `index` mod `count`. */
export interface HashPartition {
  index: number;
  count: number;
}

/** Which hash partition of which window block (by plan number) a split or a pass evaluates. */
export interface WindowPartitionSpec {
  window: number;
  index: number;
  count: number;
}

/**
 * A split's answer before the end of its SELECT, as plain data (typed arrays, arrays, strings,
 * numbers) so it crosses an RPC boundary by structured clone:
 * - groups: per group, the key values (one array per key) and each aggregate's partial state;
 * - rows: projected rows (outputs, then ORDER BY keys when the plan buffers), cut to LIMIT + OFFSET.
 */
export type PartialAnswer =
  | { kind: "groups"; count: number; keys: unknown[][]; states: unknown[] }
  | { kind: "rows"; rows: unknown[][] }
  /** Too big to send back (see runSplit's maxPartialBytes): the coordinator reads these files itself. */
  | { kind: "too_large"; bytes: number }
  /** A split's files alone held more groups than the cap: the coordinator runs the GROUP BY in hash partitions. */
  | { kind: "too_many_groups" };

/** A split failure that running the split again cannot fix (a malformed request): not retried. */
export class FinalSplitError extends Error {}

/** Rows an ungrouped SELECT may ask of each split (LIMIT + OFFSET); larger ones are not split. */
export const SPLIT_ROWS_MAX = 10_000;

export interface SplitResult {
  partial: PartialAnswer;
  statistics: ScanStatistics;
}

/** How the host runs splits: normally a call to another invocation of the same Worker. */
export interface FanOut {
  /** A split reads at most this many files; a scan of more is split. */
  filesPerSplit: number;
  /** A split reads about this many rows at most (whole files, at least one); a scan of more is split. */
  rowsPerSplit: number;
  /**
   * Most splits of one scan (Cloudflare allows a request 32 Worker invocations); past it, splits
   * grow beyond filesPerSplit and rowsPerSplit.
   */
  maxSplits: number;
  /** Splits in flight at once. */
  concurrency: number;
  run(request: SplitRequest): Promise<SplitResult>;
}

/**
 * Whether a scan of these files is worth splitting under the fan-out's limits. Only a grouped
 * SELECT, or one whose LIMIT + OFFSET is at most SPLIT_ROWS_MAX, is split: any other would make
 * every split send back every row it reads (a FROM subquery that feeds an outer query, say).
 */
export function shouldSplit(files: FileRef[], fan: FanOut, plan: { grouped: boolean; rows: number | null }): boolean {
  if (files.length < 2) return false;
  if (!plan.grouped && (plan.rows === null || plan.rows > SPLIT_ROWS_MAX)) return false;
  return files.length > fan.filesPerSplit || files.reduce((n, f) => n + f.rows, 0) > fan.rowsPerSplit;
}

/**
 * Cut files into splits within both limits, about even in rows and files, keeping the files' order
 * (a LIMIT without ORDER BY can then stop after the first splits).
 */
export function cutSplits(
  files: FileRef[],
  fan: Pick<FanOut, "filesPerSplit" | "rowsPerSplit" | "maxSplits">,
): FileRef[][] {
  const n = files.length;
  const total = files.reduce((sum, f) => sum + f.rows, 0);
  const wanted = Math.max(
    1,
    Math.ceil(n / Math.max(1, fan.filesPerSplit)),
    Math.ceil(total / Math.max(1, fan.rowsPerSplit)),
  );
  const count = Math.min(wanted, Math.max(1, fan.maxSplits));
  // Past maxSplits, splits grow beyond the limits rather than multiply.
  const maxFiles = Math.max(Math.ceil(n / Math.ceil(n / Math.max(1, fan.filesPerSplit))), Math.ceil(n / count));
  const targetRows = total / count;
  const out: FileRef[][] = [];
  let current: FileRef[] = [];
  let cumulative = 0;
  for (const f of files) {
    current.push(f);
    cumulative += f.rows;
    // Cut where the running total passes the next multiple of the target (by at least half a file).
    const byRows = out.length < count - 1 && cumulative >= (out.length + 1) * targetRows - f.rows / 2;
    if (current.length >= maxFiles || byRows) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  if (out.length <= fan.maxSplits) return out;
  // Uneven files pushed past the cap: fall back to even runs of files.
  const size = Math.ceil(n / count);
  return Array.from({ length: Math.ceil(n / size) }, (_, i) => files.slice(i * size, (i + 1) * size));
}

/**
 * About how many bytes a partial answer takes serialized (structured clone), to keep it under the
 * host's message limit: typed arrays by their length, strings at 2 bytes a character.
 */
export function partialBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === "boolean") return 1;
  if (typeof value === "number") return 9;
  // V8 writes a string as one byte a character when every character fits in Latin-1.
  if (typeof value === "string") return 5 + (/[\u0100-\uffff]/.test(value) ? 2 : 1) * value.length;
  if (ArrayBuffer.isView(value)) return 16 + value.byteLength;
  if (Array.isArray(value)) {
    let n = 8;
    for (const v of value) n += partialBytes(v);
    return n;
  }
  if (typeof value === "object") {
    let n = 8;
    for (const [k, v] of Object.entries(value)) n += 5 + 2 * k.length + partialBytes(v);
    return n;
  }
  return 9;
}

export function addStatistics(into: ScanStatistics, from: ScanStatistics): void {
  into.rows_read += from.rows_read;
  into.bytes_read += from.bytes_read;
  into.files_read += from.files_read;
  into.files_pruned += from.files_pruned;
  into.row_groups_read += from.row_groups_read;
  into.row_groups_pruned += from.row_groups_pruned;
}

/**
 * Run splits with at most `concurrency` in flight, yielding answers in split order; with
 * `firstAlone`, the others start only once the first has answered (and been consumed). Stopping
 * early (the consumer breaks) leaves the rest unstarted; answers already in flight are dropped.
 */
export async function* runSplits(
  splits: FileRef[][],
  concurrency: number,
  run: (files: FileRef[]) => Promise<SplitResult>,
  options: { firstAlone?: boolean } = {},
): AsyncGenerator<{ files: FileRef[]; result: SplitResult }> {
  const pending: { files: FileRef[]; result: Promise<SplitResult> }[] = [];
  let next = 0;
  let received = 0;
  const launch = () => {
    const limit = options.firstAlone && received === 0 ? 1 : Math.max(1, concurrency);
    while (pending.length < limit && next < splits.length) {
      const files = splits[next++] as FileRef[];
      const result = run(files);
      result.catch(() => {});
      pending.push({ files, result });
    }
  };
  launch();
  while (pending.length > 0) {
    const { files, result } = pending.shift() as { files: FileRef[]; result: Promise<SplitResult> };
    const answer = await result;
    received++;
    yield { files, result: answer };
    launch();
  }
}

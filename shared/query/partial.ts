// Splitting a scan over sub-invocations: what a split is asked, what it answers, and how answers merge.
import type { FileRef, ScanStatistics } from "./catalog";

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
}

/**
 * A split's answer before the end of its SELECT, as plain data (typed arrays, arrays, strings,
 * numbers) so it crosses an RPC boundary by structured clone:
 * - groups: per group, the key values (one array per key) and each aggregate's partial state;
 * - rows: projected rows (outputs, then ORDER BY keys when the plan buffers), cut to LIMIT + OFFSET.
 */
export type PartialAnswer =
  | { kind: "groups"; count: number; keys: unknown[][]; states: unknown[] }
  | { kind: "rows"; rows: unknown[][] };

export interface SplitResult {
  partial: PartialAnswer;
  statistics: ScanStatistics;
}

/** How the host runs splits: normally a call to another invocation of the same Worker. */
export interface FanOut {
  /** A scan of more files than this is split, with at most this many files per split. */
  filesPerSplit: number;
  /** Splits in flight at once. */
  concurrency: number;
  run(request: SplitRequest): Promise<SplitResult>;
}

/**
 * Cut files into splits of at most `size`, as even as possible, keeping their order (a LIMIT
 * without ORDER BY can then stop after the first splits).
 */
export function cutSplits(files: FileRef[], size: number): FileRef[][] {
  const count = Math.ceil(files.length / Math.max(1, size));
  const out: FileRef[][] = [];
  for (let i = 0; i < count; i++) {
    out.push(files.slice(Math.floor((i * files.length) / count), Math.floor(((i + 1) * files.length) / count)));
  }
  return out;
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
 * Run splits with at most `concurrency` in flight, yielding answers in split order. Stopping early
 * (the consumer breaks) leaves the rest unstarted; answers already in flight are dropped.
 */
export async function* runSplits(
  splits: FileRef[][],
  concurrency: number,
  run: (files: FileRef[]) => Promise<SplitResult>,
): AsyncGenerator<SplitResult> {
  const pending: Promise<SplitResult>[] = [];
  let next = 0;
  const launch = () => {
    while (pending.length < Math.max(1, concurrency) && next < splits.length) {
      const p = run(splits[next++] as FileRef[]);
      p.catch(() => {});
      pending.push(p);
    }
  };
  launch();
  while (pending.length > 0) {
    const result = await (pending.shift() as Promise<SplitResult>);
    yield result;
    launch();
  }
}

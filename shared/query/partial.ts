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
  /**
   * ORDER BY <column> … LIMIT k: the first key of the coordinator's k-th row so far, when known.
   * Files and row groups whose values all sort after it cannot enter the answer and are skipped.
   */
  bound?: unknown;
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

/** Whether a scan of these files is worth splitting under the fan-out's limits. */
export function shouldSplit(files: FileRef[], fan: FanOut): boolean {
  if (files.length < 2) return false;
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
  if (typeof value === "string") return 5 + 2 * value.length;
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
): AsyncGenerator<SplitResult> {
  const pending: Promise<SplitResult>[] = [];
  let next = 0;
  let received = 0;
  const launch = () => {
    const limit = options.firstAlone && received === 0 ? 1 : Math.max(1, concurrency);
    while (pending.length < limit && next < splits.length) {
      const p = run(splits[next++] as FileRef[]);
      p.catch(() => {});
      pending.push(p);
    }
  };
  launch();
  while (pending.length > 0) {
    const result = await (pending.shift() as Promise<SplitResult>);
    received++;
    yield result;
    launch();
  }
}

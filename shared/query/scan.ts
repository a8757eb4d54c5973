// Reading a table: prune files and row groups, fetch only the needed column chunks, decode in batches.
import type { AsyncBuffer, Compressors, FileMetaData, RowGroup, SchemaElement } from "hyparquet";
import { ColumnCursor, chunkRange } from "../parquet/chunk";
import { parseFooter, readFooter } from "../parquet/footer";
import { columnSpec } from "../parquet/schema";
import type { FileRef, FooterCache, QueryCatalog, ScanStatistics } from "./catalog";
import type { StringInterner } from "./interner";
import { compareValues } from "./ops-logic";
import { type ColumnRange, mayMatch } from "./prune";
import { isString, type SqlType } from "./types";
import type { Batch, Vec } from "./vector";

export interface ScanColumn {
  slot: number;
  name: string;
  type: SqlType;
}

/** ORDER BY <column> … LIMIT: visit likely winners first, skip what cannot beat the k-th row held. */
export interface TopKHint {
  column: string;
  desc: boolean;
  nullsFirst: boolean;
  /** The first ORDER BY key of the k-th row once k rows are held; undefined before. */
  worst(): unknown;
}

export interface ScanOptions {
  catalog: QueryCatalog;
  files: FileRef[];
  /** Columns to decode. */
  columns: ScanColumn[];
  /** Slots in a batch (columns not read stay undefined). */
  width: number;
  /** Requirements on columns by name, from WHERE. */
  ranges: Map<string, ColumnRange>;
  compressors: Compressors;
  footerCache?: FooterCache;
  stats: ScanStatistics;
  /** Called between batches; throws to stop (time limit). */
  checkpoint: () => void;
  topK?: TopKHint;
  /** First batch size when a LIMIT needs few rows; batches then double up to the maximum. */
  firstBatchRows?: number;
  /** Told which column chunk each string dictionary came from, so other scans of it reuse its ids. */
  interner?: StringInterner;
}

/** Files this small are read whole in one request (one round trip instead of two). */
const WHOLE_FILE_BYTES = 1 << 21;
/** Column chunks closer than this are fetched in one request. */
const COALESCE_GAP = 1 << 18;
/** Rows per batch at most; a row group is split into equal batches under this. */
const MAX_BATCH = 131_072;
/** Footers opened ahead of the file being read. */
const FOOTER_LOOKAHEAD = 4;
/** Row groups whose column chunks are fetched ahead of the one being decoded. */
const FETCH_AHEAD = 4;

interface OpenFile {
  ref: FileRef;
  buffer: AsyncBuffer;
  /** The whole file when it was small enough to read at once. */
  whole: ArrayBuffer | null;
  metadata: FileMetaData;
  /** Column chunk index and schema element per scanned column (undefined when the file lacks it). */
  layout: ({ index: number; element: SchemaElement } | undefined)[];
}

function counting(buffer: AsyncBuffer, stats: ScanStatistics): AsyncBuffer {
  return {
    byteLength: buffer.byteLength,
    async slice(start, end) {
      const bytes = await buffer.slice(start, end);
      stats.bytes_read += bytes.byteLength;
      return bytes;
    },
  };
}

async function openFile(ref: FileRef, o: ScanOptions): Promise<OpenFile> {
  const buffer = counting(await o.catalog.openFile(ref.key), o.stats);
  let metadata = o.footerCache?.get(ref.key);
  let whole: ArrayBuffer | null = null;
  if (!metadata) {
    if (buffer.byteLength <= WHOLE_FILE_BYTES) {
      whole = await buffer.slice(0, buffer.byteLength);
      metadata = parseFooter(whole);
    } else {
      metadata = await readFooter(buffer);
    }
    o.footerCache?.set(ref.key, metadata);
  }
  const leaves = new Map(metadata.schema.slice(1).map((e) => [e.name, e]));
  const first = metadata.row_groups[0];
  const layout = o.columns.map((c) => {
    const index = first ? first.columns.findIndex((ch) => ch.meta_data?.path_in_schema[0] === c.name) : -1;
    const element = leaves.get(c.name);
    // A file whose column has another kind of value (a forced contract type change) reads it as NULL.
    const sameKind = element !== undefined && isString(c.type) === (element.type === "BYTE_ARRAY");
    return index >= 0 && element && sameKind ? { index, element } : undefined;
  });
  return { ref, buffer, whole, metadata, layout };
}

function statValue(v: unknown): unknown {
  if (typeof v === "boolean") return v ? 1 : 0; // the engine holds BOOLEAN as 0/1
  return typeof v === "bigint" ? Number(v) : v instanceof Date ? v.getTime() : v;
}

/** Whether a row group may hold matching rows, by its column statistics. */
function groupMayMatch(group: RowGroup, ranges: Map<string, ColumnRange>, dataset: string, o: ScanOptions): boolean {
  for (const [name, range] of ranges) {
    // Statistics describe stored values; a guarded column is compared after its rewrite.
    if (o.catalog.guard?.guards(dataset, name)) continue;
    const chunk = group.columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data;
    const s = chunk?.statistics;
    if (!chunk || !s) continue;
    const nulls = s.null_count === undefined ? null : Number(s.null_count);
    const rows = Number(group.num_rows);
    if (range.isNull && nulls === 0) return false;
    if (range.notNull && nulls !== null && nulls >= rows) return false;
    const text = chunk.type === "BYTE_ARRAY";
    const min = statValue(s.min_value ?? (text ? undefined : s.min));
    const max = s.is_max_value_exact === false ? undefined : statValue(s.max_value ?? (text ? undefined : s.max));
    if (!mayMatch(range, min ?? null, max ?? null)) return false;
  }
  return true;
}

/**
 * The one value of a text column chunk whose exact statistics say every row holds it (min = max, no
 * NULLs): such a column is not fetched or decoded at all. In the lake, `event_type` of an event type's
 * files is one, so counting events by type reads only footers.
 */
function constantText(group: RowGroup, index: number): string | undefined {
  const chunk = group.columns[index]?.meta_data;
  const s = chunk?.statistics;
  if (!chunk || !s || chunk.type !== "BYTE_ARRAY" || s.null_count === undefined || Number(s.null_count) !== 0)
    return undefined;
  if (s.is_max_value_exact === false || s.is_min_value_exact === false) return undefined;
  const { min_value: min, max_value: max } = s;
  return typeof min === "string" && min === max ? min : undefined;
}

/** Per scanned column, its constant value in this row group when it has one (see constantText). */
function constantsOf(file: OpenFile, group: RowGroup, o: ScanOptions): (string | undefined)[] {
  return o.columns.map((c, k) => {
    const l = file.layout[k];
    if (!l || !isString(c.type) || o.catalog.guard?.guards(file.ref.dataset, c.name)) return undefined;
    return constantText(group, l.index);
  });
}

/** Fetch the needed column chunks of a row group (not those `skip` marks), coalescing neighbours into one request. */
async function fetchChunks(
  file: OpenFile,
  group: RowGroup,
  skip: readonly unknown[],
): Promise<(Uint8Array | undefined)[]> {
  const wanted = file.layout.map((l, k) => (l && skip[k] === undefined ? chunkRange(group, l.index) : undefined));
  if (file.whole) {
    const whole = file.whole;
    return wanted.map((r) => (r ? new Uint8Array(whole, r[0], r[1] - r[0]) : undefined));
  }
  const sorted = wanted.filter((r): r is [number, number] => r !== undefined).sort((a, b) => a[0] - b[0]);
  const runs: [number, number][] = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last && r[0] - last[1] <= COALESCE_GAP) last[1] = Math.max(last[1], r[1]);
    else runs.push([r[0], r[1]]);
  }
  const buffers = await Promise.all(runs.map(([s, e]) => file.buffer.slice(s, e)));
  return wanted.map((r) => {
    if (!r) return undefined;
    const i = runs.findIndex(([s, e]) => r[0] >= s && r[1] <= e);
    const [s] = runs[i] as [number, number];
    return new Uint8Array(buffers[i] as ArrayBuffer, r[0] - s, r[1] - r[0]);
  });
}

/** Whether every non-null value in [min, max] sorts after the k-th row's key (so none can enter the top k). */
function beyondTopK(hint: TopKHint | undefined, min: unknown, max: unknown, mayHaveNulls: boolean): boolean {
  const worst = hint?.worst();
  if (!hint || worst === undefined || worst === null) return false;
  if (mayHaveNulls && hint.nullsFirst) return false;
  if (hint.desc) return max !== undefined && max !== null && compareValues(max, worst) < 0;
  return min !== undefined && min !== null && compareValues(min, worst) > 0;
}

/** A row group's min and max of one column, when its statistics give them exactly. */
function groupBounds(group: RowGroup, name: string): { min: unknown; max: unknown; nulls: boolean } {
  const chunk = group.columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data;
  const s = chunk?.statistics;
  if (!chunk || !s) return { min: undefined, max: undefined, nulls: true };
  const text = chunk.type === "BYTE_ARRAY";
  return {
    min: statValue(s.min_value ?? (text ? undefined : s.min)),
    max: s.is_max_value_exact === false ? undefined : statValue(s.max_value ?? (text ? undefined : s.max)),
    nulls: s.null_count === undefined || Number(s.null_count) > 0,
  };
}

interface Job {
  file: OpenFile;
  group: RowGroup;
  first: boolean;
}

/** Files in the order a top-k scan visits them: likely winners first when the key is ts. */
export function topKOrder(files: FileRef[], hint: TopKHint | undefined): FileRef[] {
  const out = [...files];
  if (hint?.column === "ts") out.sort((a, b) => (hint.desc ? b.maxTs - a.maxTs : a.minTs - b.minTs));
  return out;
}

/** Batches of the needed columns from every matching row group of every file. */
export async function* scanFiles(o: ScanOptions): AsyncGenerator<Batch> {
  const guard = o.catalog.guard;
  // Top-k skipping reads stored statistics too: not for a column some file rewrites.
  const hint = o.topK && !o.files.some((f) => guard?.guards(f.dataset, o.topK?.column as string)) ? o.topK : undefined;
  const files = topKOrder(o.files, hint);
  const opening = new Map<number, Promise<OpenFile>>();
  const open = (i: number) => {
    const ref = files[i];
    if (!ref) return;
    if (!opening.has(i)) {
      const p = openFile(ref, o);
      p.catch(() => {});
      opening.set(i, p);
    }
    return opening.get(i);
  };

  async function* jobs(): AsyncGenerator<Job> {
    for (let i = 0; i < files.length; i++) {
      const ref = files[i] as FileRef;
      // The manifest's time range is the lake's `ts`; a table of its own may have a `ts` of its own.
      if (hint?.column === "ts" && !ref.own && beyondTopK(hint, ref.minTs, ref.maxTs, false)) continue;
      for (let j = i; j <= i + FOOTER_LOOKAHEAD; j++) open(j);
      const file = await (open(i) as Promise<OpenFile>);
      opening.delete(i);
      let first = true;
      let groups = file.metadata.row_groups;
      if (hint) {
        const key = (g: RowGroup) => {
          const b = groupBounds(g, hint.column);
          return hint.desc ? b.max : b.min;
        };
        groups = [...groups].sort((a, b) => {
          const x = key(a);
          const y = key(b);
          if (x === undefined || x === null || y === undefined || y === null) return 0;
          return hint.desc ? compareValues(y, x) : compareValues(x, y);
        });
      }
      for (const group of groups) {
        if (Number(group.num_rows) === 0) continue;
        const bounds = hint ? groupBounds(group, hint.column) : null;
        if (
          !groupMayMatch(group, o.ranges, ref.dataset, o) ||
          (bounds && beyondTopK(hint, bounds.min, bounds.max, bounds.nulls))
        ) {
          o.stats.row_groups_pruned++;
          continue;
        }
        yield { file, group, first };
        first = false;
      }
    }
  }

  const it = jobs();
  const pull = async () => {
    const r = await it.next();
    if (r.done) return null;
    const constants = constantsOf(r.value.file, r.value.group, o);
    return { job: r.value, constants, chunks: await fetchChunks(r.value.file, r.value.group, constants) };
  };
  // Row groups fetched ahead of the one decoded: each fetch is a round trip to R2, so a scan of many
  // small files waits on latency unless several are in flight. A top-k or LIMIT scan stays one
  // ahead, since what it reads next depends on what it has already found.
  const ahead = hint || o.firstBatchRows !== undefined ? 1 : FETCH_AHEAD;
  const pending: ReturnType<typeof pull>[] = [];
  const refill = () => {
    while (pending.length < ahead) {
      const p = pull();
      p.catch(() => {});
      pending.push(p);
    }
  };
  refill();
  let size = o.firstBatchRows ?? MAX_BATCH;
  try {
    for (;;) {
      const current = await pending.shift();
      if (!current) break;
      refill();
      const { job, chunks, constants } = current;
      const rows = Number(job.group.num_rows);
      o.stats.row_groups_read++;
      o.stats.rows_read += rows;
      if (job.first) o.stats.files_read++;
      const tags: (string | null)[] = [];
      const cursors = o.columns.map((c, k) => {
        const layout = job.file.layout[k];
        const bytes = chunks[k];
        tags.push(null);
        if (!layout || !bytes) return null;
        const meta = job.group.columns[layout.index]?.meta_data;
        const strings = isString(c.type);
        const spec = columnSpec(layout.element, meta?.codec ?? "UNCOMPRESSED", strings);
        // A chunk has at most one dictionary page; its offset names it within the file.
        if (strings && meta?.dictionary_page_offset !== undefined)
          tags[k] = `${job.file.ref.key}\u0000${meta.dictionary_page_offset}`;
        return new ColumnCursor(bytes, spec, o.compressors);
      });
      for (let done = 0; done < rows; ) {
        o.checkpoint();
        const left = rows - done;
        let n: number;
        if (size < MAX_BATCH) {
          n = Math.min(size, left);
          size = Math.min(size * 2, MAX_BATCH);
        } else n = Math.ceil(left / Math.ceil(left / MAX_BATCH));
        done += n;
        const cols: (Vec | undefined)[] = new Array(o.width);
        o.columns.forEach((c, k) => {
          const cursor = cursors[k];
          const constant = constants[k];
          const vec: Vec = cursor
            ? cursor.take(n)
            : { kind: "const", n, value: constant === undefined ? null : constant };
          const tag = tags[k];
          if (tag && o.interner && vec.kind === "dict") o.interner.tag(vec.dict, tag);
          cols[c.slot] = vec;
        });
        if (guard) {
          const dataset = job.file.ref.dataset;
          for (const c of o.columns)
            if (guard.guards(dataset, c.name)) cols[c.slot] = await guard.rewrite(dataset, c.name, cols[c.slot] as Vec);
        }
        yield { n, cols };
      }
    }
  } finally {
    await it.return(undefined);
  }
}

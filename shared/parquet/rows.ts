// Lake rows and columns, both ways: the file's row order (stable by ts) and one row group's values
// gathered column-wise for writing; decoded row objects normalized back into LakeRows.
import { LAKE_COLUMNS, type LakeColumnName, type LakeRow } from "../lake/lake-row";
import { borrowFloat64, borrowUint32, returnBuffer } from "./scratch";

// Writing

/**
 * Order of rows by `ts`, ties kept in input order. Integer times that span less than 2^32 ms (about
 * 49 days) are radix-sorted (see radixOrder); other integer times spanning less than 2^53 / n ms are
 * sorted as one float key `(ts - min) * n + index` with the native numeric sort; anything else uses
 * a comparator. Already sorted input costs one pass. The order is in a borrowed buffer (scratch.ts):
 * give back `order.buffer` once done with it.
 */
export function sortOrderByTs(rows: readonly LakeRow[]): Uint32Array {
  const n = rows.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sorted = true;
  let integers = true;
  for (let i = 0; i < n; i++) {
    const ts = (rows[i] as LakeRow).ts;
    if (ts < max) sorted = false;
    if (ts < min) min = ts;
    if (ts > max) max = ts;
    if (!Number.isInteger(ts)) integers = false;
  }
  if (!sorted && integers && n >= RADIX_MIN_ROWS && max - min < 2 ** 32) return radixOrder(rows, min, max - min);
  const order = borrowUint32(n);
  if (sorted || !integers || (max - min + 1) * n >= Number.MAX_SAFE_INTEGER) {
    for (let i = 0; i < n; i++) order[i] = i;
    if (!sorted) order.sort((a, b) => (rows[a] as LakeRow).ts - (rows[b] as LakeRow).ts || a - b);
    return order;
  }
  const keys = borrowFloat64(n);
  for (let i = 0; i < n; i++) keys[i] = ((rows[i] as LakeRow).ts - min) * n + i;
  keys.sort();
  for (let i = 0; i < n; i++) order[i] = (keys[i] as number) % n;
  returnBuffer(keys.buffer);
  return order;
}

/** Below this many rows the native sort of float keys is as fast as the radix passes' fixed costs. */
export const RADIX_MIN_ROWS = 512;
const RADIX_MAX_DIGIT_BITS = 11;

/**
 * Stable LSD radix sort of row indexes by `ts - min` (< 2^32), a digit of up to 11 bits per pass
 * (three passes for a span of days). Linear where the native sort of a million float keys took
 * ~0.3 s; it uses 12 bytes a row (keys, order, one spare), borrowed (scratch.ts) like the float keys.
 * Each pass reads the keys through the previous pass's order, which is nearly sequential for the
 * mostly time-ordered batches the lake receives.
 */
function radixOrder(rows: readonly LakeRow[], min: number, span: number): Uint32Array {
  const n = rows.length;
  const keys = borrowUint32(n);
  for (let i = 0; i < n; i++) keys[i] = (rows[i] as LakeRow).ts - min;
  const bits = span === 0 ? 1 : 32 - Math.clz32(span);
  const passes = Math.ceil(bits / RADIX_MAX_DIGIT_BITS);
  const digitBits = Math.ceil(bits / passes);
  const mask = (1 << digitBits) - 1;
  const counts = new Uint32Array(mask + 2);
  let src: Uint32Array<ArrayBuffer> | null = null; // null: the identity order, read without indirection
  let dst: Uint32Array<ArrayBuffer> = borrowUint32(n);
  for (let pass = 0, shift = 0; pass < passes; pass++, shift += digitBits) {
    counts.fill(0);
    for (let i = 0; i < n; i++) (counts[(((keys[i] as number) >>> shift) & mask) + 1] as number)++;
    for (let d = 1; d <= mask + 1; d++) counts[d] = (counts[d] as number) + (counts[d - 1] as number);
    if (src === null) {
      for (let i = 0; i < n; i++) dst[(counts[((keys[i] as number) >>> shift) & mask] as number)++] = i;
    } else {
      for (let i = 0; i < n; i++) {
        const row = src[i] as number;
        dst[(counts[((keys[row] as number) >>> shift) & mask] as number)++] = row;
      }
    }
    const done = dst;
    dst = src ?? borrowUint32(n); // the spare, borrowed once a second pass needs it
    src = done;
  }
  returnBuffer(keys.buffer);
  if (src === null) return dst;
  returnBuffer(dst.buffer);
  return src;
}

/** A row group's values, column by column; arrays sized once per file and refilled for each group. */
export type GroupColumns = Record<LakeColumnName, Float64Array | (string | null)[]>;

/**
 * Allocate the column arrays for row groups of up to `capacity` rows. They are reused for every
 * group: fresh arrays per group would be large objects that push V8 into full collections, each of
 * which walks every row object of the caller.
 */
export function groupColumns(capacity: number): GroupColumns {
  const columns = {} as GroupColumns;
  for (const { name, type } of LAKE_COLUMNS) {
    columns[name] = type === "TIMESTAMP" ? new Float64Array(capacity) : new Array<string | null>(capacity).fill(null);
  }
  return columns;
}

/** Copy rows order[from..to) into `columns` (indexes 0..to-from), with one pass over the row objects. */
export function gatherColumns(
  rows: readonly LakeRow[],
  order: Uint32Array,
  from: number,
  to: number,
  columns: GroupColumns,
): void {
  const eventId = columns.event_id as (string | null)[];
  const eventType = columns.event_type as (string | null)[];
  const ts = columns.ts as Float64Array;
  const receivedAt = columns.received_at as Float64Array;
  const userId = columns.user_id as (string | null)[];
  const sessionId = columns.session_id as (string | null)[];
  const correlationId = columns.correlation_id as (string | null)[];
  const source = columns.source as (string | null)[];
  const version = columns.version as (string | null)[];
  const environment = columns.environment as (string | null)[];
  const region = columns.region as (string | null)[];
  const requestId = columns.request_id as (string | null)[];
  const country = columns.country as (string | null)[];
  const colo = columns.colo as (string | null)[];
  const payload = columns.payload as (string | null)[];
  const metadata = columns.metadata as (string | null)[];
  // Named property reads stay monomorphic; a loop per column with row[name] would not.
  for (let i = 0; i < to - from; i++) {
    const row = rows[order[from + i] as number] as LakeRow;
    eventId[i] = row.event_id;
    eventType[i] = row.event_type;
    ts[i] = row.ts;
    receivedAt[i] = row.received_at;
    userId[i] = row.user_id;
    sessionId[i] = row.session_id;
    correlationId[i] = row.correlation_id;
    source[i] = row.source;
    version[i] = row.version;
    environment[i] = row.environment;
    region[i] = row.region;
    requestId[i] = row.request_id;
    country[i] = row.country;
    colo[i] = row.colo;
    payload[i] = row.payload;
    metadata[i] = row.metadata;
  }
}

// Reading

function toMillis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "bigint") return Number(v);
  return Number(v);
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : JSON.stringify(v);
}

const decoder = new TextDecoder();

/** hyparquet parsers that keep JSON columns as their exact text and timestamps as epoch milliseconds. */
export const lakeParsers = {
  jsonFromBytes: (bytes: Uint8Array) => decoder.decode(bytes),
  timestampFromMilliseconds: (millis: bigint) => Number(millis),
};

/** One decoded row as a LakeRow (values normalized whatever parsers produced them). */
export function toLakeRow(raw: Record<string, unknown>): LakeRow {
  const row = {} as Record<string, unknown>;
  for (const { name, type } of LAKE_COLUMNS) {
    row[name] = type === "TIMESTAMP" ? toMillis(raw[name]) : toText(raw[name]);
  }
  return row as unknown as LakeRow;
}

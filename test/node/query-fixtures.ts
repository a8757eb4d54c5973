// Lake files for the query engine's tests, a catalog over them, and DuckDB over the same files to compare.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
} from "@duckdb/node-api";
import { asyncBufferFromFile } from "hyparquet";
import { afterAll, beforeAll, expect } from "vitest";
import type { LakeRow } from "../../shared/lake/lake-row";
import { encodeLakeFile } from "../../shared/parquet/lake-file";
import {
  type FanOut,
  type FileRef,
  type QueryCatalog,
  QueryError,
  type QueryOptions,
  type QueryResult,
  runQuery,
  runSplit,
  type SplitRequest,
} from "../../shared/query/index";
import { parseQuery } from "../../shared/query/parse";
import { mulberry32 } from "../seeded-random";

/** 2025-03-01T00:00:00Z: fixture rows span the three days after it. */
export const START = Date.UTC(2025, 2, 1);
const DAY = 86_400_000;

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const maybe = <T>(r: Random, p: number, v: () => T): T | null => (r() < p ? null : v());

/** JSON payloads with numbers (ints and decimals), strings (escapes, unicode), nesting, arrays, nulls and missing keys. */
function payloadFor(r: Random, type: string, i: number): string | null {
  if (r() < 0.06) return null;
  const o: Record<string, unknown> = {};
  switch (type) {
    case "order.created":
      o.order_id = `o-${i}`;
      o.amount = Math.round(r() * 50_000) / 100;
      o.qty = 1 + Math.floor(r() * 5);
      if (r() > 0.1) o.currency = pick(r, ["USD", "EUR", "GBP"]);
      o.items = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, k) => ({
        sku: `SKU-${k}-${Math.floor(r() * 20)}`,
        price: Math.round(r() * 1000) / 10,
      }));
      o.coupon = r() < 0.5 ? null : `C${Math.floor(r() * 9)}`;
      o.paid = r() < 0.8;
      break;
    case "page.view":
      o.path = `/p/${Math.floor(r() * 40)}`;
      o.referrer = r() < 0.3 ? null : pick(r, ["https://a.example", "https://b.example/x?y=1", ""]);
      o.duration_ms = Math.floor(r() * 20_000);
      o.tags = r() < 0.2 ? [] : ["a", `b${Math.floor(r() * 4)}`];
      o.nested = { depth: { x: Math.floor(r() * 10), label: pick(r, ["x", "y", "z"]) } };
      break;
    case "signup":
      o.plan = pick(r, ["free", "pro", "team"]);
      o.email = `user${i}@example.com`;
      if (r() < 0.5) o.note = pick(r, ["café ✓", 'say "hi"', "a\nb", "tab\there", "back\\slash", "日本語"]);
      o.age = r() < 0.2 ? null : 18 + Math.floor(r() * 50);
      break;
    case "click":
      if (r() > 0.15) o.x = Math.floor(r() * 1920);
      o.y = Math.floor(r() * 1080);
      o.target = pick(r, ["button#buy", "a.nav", "div.card"]);
      o.score = Math.round((r() - 0.5) * 2000) / 1000;
      break;
    default:
      o.code = `E${40 + Math.floor(r() * 5)}`;
      o.message = pick(r, ["boom", "timeout", "not found"]);
      o.retry = r() < 0.5;
      o.big = 1_000_000_000_000 + Math.floor(r() * 1000);
      break;
  }
  return JSON.stringify(o);
}

const TYPES = [
  { type: "page.view", rows: 1500 },
  { type: "order.created", rows: 700 },
  { type: "click", rows: 900 },
  { type: "signup", rows: 300 },
  { type: "error", rows: 400 },
] as const;

/** Deterministic rows: five event types over three days, NULLs in every nullable column. */
export function fixtureRows(seed = 7): LakeRow[] {
  const r = mulberry32(seed);
  const rows: LakeRow[] = [];
  let i = 0;
  for (const { type, rows: count } of TYPES) {
    for (let k = 0; k < count; k++, i++) {
      const ts = START + Math.floor(r() * 3 * DAY);
      const user = Math.floor(r() * r() * 400);
      rows.push({
        event_id: `ev-${type}-${k.toString(36)}-${Math.floor(r() * 1e9).toString(36)}`,
        event_type: type,
        ts,
        received_at: ts + Math.floor(r() * 5000),
        user_id: maybe(r, 0.08, () => `u${user}`),
        session_id: maybe(r, 0.1, () => `s${Math.floor(r() * 900)}`),
        correlation_id: maybe(r, 0.6, () => `c${Math.floor(r() * 1e6)}`),
        source: maybe(r, 0.05, () => pick(r, ["web", "ios", "android", "server"])),
        version: maybe(r, 0.1, () => pick(r, ["1.0.0", "1.2.0", "2.0.0"])),
        environment: maybe(r, 0.05, () => pick(r, ["production", "production", "staging", "development"])),
        region: maybe(r, 0.07, () => pick(r, ["us-east", "eu-west", "ap-south"])),
        request_id: maybe(r, 0.02, () => `req-${Math.floor(i / 7)}`),
        country: maybe(r, 0.1, () => pick(r, ["US", "NL", "DE", "FR", "JP", "BR", "ÅL"])),
        colo: type === "error" ? null : maybe(r, 0.1, () => pick(r, ["AMS", "IAD", "NRT", "GRU"])),
        payload: payloadFor(r, type, i),
        metadata: maybe(r, 0.65, () => JSON.stringify({ sdk: pick(r, ["js", "py"]), v: 1 + Math.floor(r() * 3) })),
      });
    }
  }
  return rows;
}

export interface LakeFixture {
  dir: string;
  files: (FileRef & { path: string })[];
  rows: LakeRow[];
  catalog: QueryCatalog;
  /** How the catalog was asked for files (to check manifest pruning). */
  listed: { table: string; filter: unknown; returned: number }[];
  close(): Promise<void>;
}

function fileRef(dir: string, name: string, dataset: string, rows: LakeRow[]): FileRef & { path: string } {
  const ts = rows.map((r) => r.ts);
  return {
    key: name,
    path: path.join(dir, name),
    dataset,
    rows: rows.length,
    minTs: Math.min(...ts),
    maxTs: Math.max(...ts),
  };
}

/**
 * Write the rows as lake files, one dataset per file as the lake does (page.view split by day into
 * two files), and a catalog that prunes by the manifest fields like the adapter would.
 */
export async function writeLakeFixture(rows = fixtureRows()): Promise<LakeFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), "tarn-query-"));
  const files: (FileRef & { path: string })[] = [];
  for (const { type } of TYPES) {
    const mine = rows.filter((r) => r.event_type === type);
    const parts =
      type === "page.view"
        ? [mine.filter((r) => r.ts < START + 2 * DAY), mine.filter((r) => r.ts >= START + 2 * DAY)]
        : [mine];
    for (const [p, part] of parts.entries()) {
      const name = `${type}-${p}.parquet`;
      await writeFile(path.join(dir, name), encodeLakeFile(part, { rowGroupSize: 256 }));
      files.push(fileRef(dir, name, type, part));
    }
  }
  return catalogFixture(dir, files, rows);
}

function catalogFixture(dir: string, files: (FileRef & { path: string })[], rows: LakeRow[]): LakeFixture {
  const listed: LakeFixture["listed"] = [];
  const catalog: QueryCatalog = {
    async listFiles(table, filter) {
      const known = table === "events" || files.some((f) => f.dataset === table);
      if (!known) return null;
      const out = files.filter(
        (f) =>
          (table === "events" || f.dataset === table) &&
          (filter.minTs === undefined || f.maxTs >= filter.minTs) &&
          (filter.maxTs === undefined || f.minTs <= filter.maxTs) &&
          (filter.eventTypes === undefined || filter.eventTypes.includes(f.dataset)),
      );
      listed.push({ table, filter, returned: out.length });
      return out;
    },
    async openFile(key) {
      const f = files.find((x) => x.key === key);
      if (!f) throw new Error(`no file ${key}`);
      return asyncBufferFromFile(f.path);
    },
  };
  return { dir, files, rows, catalog, listed, close: () => rm(dir, { recursive: true, force: true }) };
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The same rows as Parquet written by DuckDB (data pages v1, PLAIN_DICTIONARY, TIMESTAMP in
 * microseconds, the given codec), one file per event type, and a catalog over them: the engine must
 * read any well-formed lake file, not only Tarn's encoder's.
 */
export async function duckdbWrittenLake(
  fixture: LakeFixture,
  connection: DuckDBConnection,
  codec: "zstd" | "snappy" | "uncompressed",
): Promise<LakeFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), `tarn-query-duck-${codec}-`));
  const files: (FileRef & { path: string })[] = [];
  for (const dataset of new Set(fixture.files.map((f) => f.dataset))) {
    const name = `${dataset}.parquet`;
    const file = path.join(dir, name);
    await connection.run(
      `COPY (SELECT * FROM events WHERE event_type = ${quote(dataset)} ORDER BY ts) TO ${quote(file)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 300)`,
    );
    const mine = fixture.files.filter((f) => f.dataset === dataset);
    files.push({
      key: name,
      path: file,
      dataset,
      rows: mine.reduce((n, f) => n + f.rows, 0),
      minTs: Math.min(...mine.map((f) => f.minTs)),
      maxTs: Math.max(...mine.map((f) => f.maxTs)),
    });
  }
  return catalogFixture(dir, files, fixture.rows);
}

/**
 * A test file's lake fixture and DuckDB over it, written before its tests and removed after them.
 * Read the properties inside tests (they are set in beforeAll).
 */
export function lakeWithDuckDB(): { readonly fixture: LakeFixture; readonly duck: DuckDBConnection } {
  let fixture: LakeFixture | undefined;
  let duck: { connection: DuckDBConnection; close(): void } | undefined;
  beforeAll(async () => {
    fixture = await writeLakeFixture();
    duck = await duckdbOver(fixture);
  });
  afterAll(async () => {
    duck?.close();
    await fixture?.close();
  });
  return {
    get fixture() {
      return fixture as LakeFixture;
    },
    get duck() {
      return (duck as { connection: DuckDBConnection }).connection;
    },
  };
}

/** DuckDB over the fixture's files: `events` and one view per event type (quoted names). */
export async function duckdbOver(fixture: LakeFixture): Promise<{ connection: DuckDBConnection; close(): void }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  const list = (fs: { path: string }[]) => `[${fs.map((f) => quote(f.path)).join(", ")}]`;
  await connection.run(`CREATE VIEW events AS SELECT * FROM read_parquet(${list(fixture.files)})`);
  for (const dataset of new Set(fixture.files.map((f) => f.dataset))) {
    const mine = fixture.files.filter((f) => f.dataset === dataset);
    await connection.run(`CREATE VIEW "${dataset}" AS SELECT * FROM read_parquet(${list(mine)})`);
  }
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A value as both engines are compared: numbers (times as epoch ms), strings, booleans or null. */
export function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return Number(v.micros) / 1000;
  if (v instanceof DuckDBDateValue) return v.days * DAY;
  if (v instanceof DuckDBDecimalValue) return v.toDouble();
  if (v instanceof DuckDBIntervalValue) return v.toString();
  if (typeof v === "object") return String(v);
  return v;
}

export interface Answer {
  names: string[];
  types: string[];
  rows: unknown[][];
}

export async function duckdbAnswer(connection: DuckDBConnection, sql: string): Promise<Answer> {
  const reader = await connection.runAndReadAll(sql);
  return {
    names: reader.columnNames(),
    types: reader.columnTypes().map(String),
    rows: reader.getRows().map((row) => row.map(normalize)),
  };
}

export async function tarnAnswer(
  catalog: QueryCatalog,
  sql: string,
  options?: QueryOptions,
): Promise<Answer & { result: QueryResult }> {
  const result = await runQuery(sql, catalog, options);
  return {
    names: result.meta.map((m) => m.name),
    types: result.meta.map((m) => m.type),
    rows: result.rows.map((row) => row.map(normalize)),
    result,
  };
}

function close(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return false;
}

function sortKey(row: unknown[]): string {
  return JSON.stringify(row.map((v) => (typeof v === "number" ? Number(v.toPrecision(9)) : v)));
}

/** Types compare as names, except where DuckDB's are exotic (HUGEINT, DECIMAL) or aliases (JSON). */
function sameType(tarn: string, duck: string): boolean {
  const canon = (t: string) => (t === "JSON" ? "VARCHAR" : t.startsWith("DECIMAL") || t === "HUGEINT" ? "NUMERIC" : t);
  return canon(tarn) === canon(duck);
}

/** Run `sql` in both engines and expect the same columns and rows (in order when it has ORDER BY). */
export async function expectSameAsDuckDB(
  fixture: LakeFixture,
  connection: DuckDBConnection,
  sql: string,
  options: { checkNames?: boolean; tarn?: QueryOptions } = {},
): Promise<Answer & { result: QueryResult }> {
  const duck = await duckdbAnswer(connection, sql);
  const tarn = await tarnAnswer(fixture.catalog, sql, options.tarn);
  const context = `query: ${sql}`;
  if (options.checkNames !== false) expect(tarn.names, context).toEqual(duck.names);
  expect(tarn.types.length, context).toBe(duck.types.length);
  for (const [i, t] of tarn.types.entries()) {
    expect(sameType(t, duck.types[i] as string), `${context} — column ${i}: ${t} vs ${duck.types[i]}`).toBe(true);
  }
  expectSameRows(tarn.rows, duck.rows, sql);
  return tarn;
}

/** The same rows (numbers within 1e-9 relative), in order when the SQL has ORDER BY. */
export function expectSameRows(tarnRows: unknown[][], duckRows: unknown[][], sql: string): void {
  const context = `query: ${sql}`;
  expect(tarnRows.length, context).toBe(duckRows.length);
  const ordered = parseQuery(sql).select.orderBy.length > 0;
  const a = ordered ? tarnRows : [...tarnRows].sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : 1));
  const b = ordered ? duckRows : [...duckRows].sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : 1));
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as unknown[];
    const y = b[i] as unknown[];
    const same = x.length === y.length && x.every((v, j) => close(v, y[j]));
    if (!same) expect(x, `${context} — row ${i}`).toEqual(y);
  }
}

/** The QueryError a query fails with (the test fails if it answers or throws anything else). */
export async function queryFailure(catalog: QueryCatalog, sql: string, options?: QueryOptions): Promise<QueryError> {
  try {
    await runQuery(sql, catalog, options);
  } catch (error) {
    if (error instanceof QueryError) return error;
    throw error;
  }
  throw new Error(`expected ${sql} to fail`);
}

/**
 * Splits that run the engine in process over a catalog that opens only the split's files and cannot
 * list; requests and answers cross a structured clone, as they cross RPC. `log` records each request.
 */
export function inProcessFanOut(
  catalog: QueryCatalog,
  options: {
    filesPerSplit?: number;
    rowsPerSplit?: number;
    maxSplits?: number;
    concurrency?: number;
    maxPartialBytes?: number;
    log?: SplitRequest[];
  } = {},
): FanOut {
  return {
    filesPerSplit: options.filesPerSplit ?? 1,
    rowsPerSplit: options.rowsPerSplit ?? Number.POSITIVE_INFINITY,
    maxSplits: options.maxSplits ?? 32,
    concurrency: options.concurrency ?? 3,
    async run(request) {
      const sent = structuredClone(request);
      options.log?.push(sent);
      const allowed = new Set(sent.files.map((f) => f.key));
      const only: QueryCatalog = {
        listFiles: () => Promise.reject(new Error("a split must not list files")),
        openFile: (key) => {
          if (!allowed.has(key)) throw new Error(`split opened ${key}, which it was not given`);
          return catalog.openFile(key);
        },
      };
      return structuredClone(await runSplit(sent, only, { maxPartialBytes: options.maxPartialBytes }));
    },
  };
}

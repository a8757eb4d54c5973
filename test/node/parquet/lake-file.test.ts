// Lake Parquet files read back by hyparquet and by DuckDB give exactly the rows that went in, sorted by ts.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { zstdDecompressSync } from "node:zlib";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { type FileMetaData, parquetMetadata, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAKE_COLUMNS, type LakeRow } from "../../../shared/lake/lake-row";
import { encodeLakeFile, readLakeRowGroups } from "../../../shared/parquet/lake-file";
import { bloomMayHold, USER_BLOOM_KEY, userBloom } from "../../../shared/privacy/user-bloom";

const NULLABLE = [
  "user_id",
  "session_id",
  "correlation_id",
  "source",
  "version",
  "environment",
  "region",
  "request_id",
  "country",
  "colo",
  "payload",
  "metadata",
] as const satisfies readonly (keyof LakeRow)[];

const T0 = Date.UTC(2025, 5, 1, 12);

/** Deterministic rows: unsorted, with equal times, unicode, nested JSON, and nulls in every nullable column. */
function sampleRows(count: number): LakeRow[] {
  const rows: LakeRow[] = [];
  for (let i = 0; i < count; i++) {
    const row: LakeRow = {
      event_id: i % 11 === 0 ? `évt-${i}-ñ-😀` : `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      event_type: ["page_view", "click", "purchase", "ünïcödé_event"][i % 4] as string,
      ts: T0 + ((i * 7919) % 50) * 1000, // unsorted, with many equal times
      received_at: T0 + 60_000 + i,
      user_id: `user_${i % 5}${i % 13 === 0 ? "_Zoë" : ""}`,
      session_id: `sess_${Math.floor(i / 4)}`,
      correlation_id: i % 3 === 0 ? null : `corr-${i}`,
      source: ["web", "ios", "server"][i % 3] as string,
      version: `1.${i % 2}.0`,
      environment: i % 10 === 0 ? "staging" : "production",
      region: ["eu-west", "us-east"][i % 2] as string,
      request_id: `req_${Math.floor(i / 10)}`,
      country: ["DE", "JP", "BR"][i % 3] as string,
      colo: ["FRA", "NRT", "GRU"][i % 3] as string,
      payload: JSON.stringify({
        path: `/p/${i}`,
        amount: i * 1.25,
        ok: i % 2 === 0,
        nested: { tags: ["a", "ß", "日本"], depth: { level: i % 3, none: null } },
      }),
      metadata: i % 4 === 0 ? `{"sdk":"tarn-js","emoji":"🚀","list":[1,2,{"k":"v"}]}` : null,
    };
    // every nullable column is null in some rows, each on its own rhythm
    NULLABLE.forEach((column, c) => {
      if ((i + c) % 7 === 0) row[column] = null;
    });
    rows.push(row);
  }
  return rows;
}

/** Expected file order: stable sort by ts. */
function sortedByTs(rows: LakeRow[]): LakeRow[] {
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => a.row.ts - b.row.ts || a.index - b.index)
    .map(({ row }) => row);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

const textDecoder = new TextDecoder();

/** Read every row with hyparquet, keeping timestamps as epoch ms and JSON as its exact text. */
async function readWithHyparquet(bytes: Uint8Array): Promise<LakeRow[]> {
  const rows = await parquetReadObjects({
    file: toArrayBuffer(bytes),
    compressors: { ZSTD: (input: Uint8Array) => zstdDecompressSync(input) },
    parsers: {
      timestampFromMilliseconds: (millis: bigint) => Number(millis),
      jsonFromBytes: (raw: Uint8Array) => textDecoder.decode(raw),
    },
  });
  return rows as LakeRow[];
}

let dir: string;
let instance: DuckDBInstance;
let duckdb: DuckDBConnection;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tarn-parquet-"));
  instance = await DuckDBInstance.create(":memory:");
  duckdb = await instance.connect();
});

afterAll(async () => {
  duckdb?.closeSync();
  instance?.closeSync();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fileFor(bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `lake-${files++}.parquet`);
  await writeFile(file, bytes);
  return file;
}

/** Read every row with DuckDB, timestamps as epoch ms and JSON cast to its text. */
async function readWithDuckDb(bytes: Uint8Array): Promise<LakeRow[]> {
  const file = await fileFor(bytes);
  const select = LAKE_COLUMNS.map(({ name, type }) =>
    type === "TIMESTAMP" ? `epoch_ms(${name}) AS ${name}` : type === "JSON" ? `${name}::VARCHAR AS ${name}` : name,
  );
  const reader = await duckdb.runAndReadAll(`SELECT ${select.join(", ")} FROM read_parquet('${file}')`);
  return reader.getRowObjectsJson().map((row) => {
    const out = { ...row } as Record<string, unknown>;
    for (const { name, type } of LAKE_COLUMNS) if (type === "TIMESTAMP") out[name] = Number(row[name]);
    return out as unknown as LakeRow;
  });
}

function expectSameRows(actual: LakeRow[], expected: LakeRow[]): void {
  expect(actual).toHaveLength(expected.length);
  for (const { name } of LAKE_COLUMNS) {
    expect(
      actual.map((row) => row[name]),
      `column ${name}`,
    ).toEqual(expected.map((row) => row[name]));
  }
  // and nothing beyond the lake columns
  for (const row of actual) expect(Object.keys(row)).toEqual(LAKE_COLUMNS.map(({ name }) => name));
}

describe("encodeLakeFile", () => {
  const input = sampleRows(200);
  const expected = sortedByTs(input);

  it("round-trips through hyparquet, sorted by ts with ties in input order", async () => {
    const bytes = encodeLakeFile(input);
    expectSameRows(await readWithHyparquet(bytes), expected);
  });

  it("reads back through readLakeRowGroups, one row group at a time", async () => {
    const groups: LakeRow[][] = [];
    for await (const rows of readLakeRowGroups(toArrayBuffer(encodeLakeFile(input, { rowGroupSize: 64 })))) {
      groups.push(rows);
    }
    expect(groups.map((g) => g.length)).toEqual([64, 64, 64, 8]);
    expectSameRows(groups.flat(), expected);
  });

  it("round-trips through DuckDB", async () => {
    const bytes = encodeLakeFile(input);
    expectSameRows(await readWithDuckDb(bytes), expected);
  });

  it("round-trips across many row groups, including a group where a dictionary column is all null", async () => {
    const rows = sampleRows(50);
    for (const row of rows) if (row.ts > T0 + 40_000) row.colo = null; // the last group has no colo at all
    const bytes = encodeLakeFile(rows, { rowGroupSize: 7 });
    const metadata = parquetMetadata(toArrayBuffer(bytes));
    expect(metadata.row_groups).toHaveLength(Math.ceil(50 / 7));
    const want = sortedByTs(rows);
    expect(want.at(-1)?.colo).toBeNull();
    expectSameRows(await readWithHyparquet(bytes), want);
    expectSameRows(await readWithDuckDb(bytes), want);
  });

  it("writes the same bytes whatever files were encoded before it (scratch is reused between files)", () => {
    const small = sampleRows(40);
    const large = sampleRows(3000);
    const first = encodeLakeFile(small).slice();
    const largeFirst = encodeLakeFile(large, { rowGroupSize: 1000 }).slice();
    expect(encodeLakeFile(small)).toEqual(first);
    encodeLakeFile(small.map((r) => ({ ...r, user_id: null, colo: null })));
    expect(encodeLakeFile(large, { rowGroupSize: 1000 })).toEqual(largeFirst);
    expect(() => encodeLakeFile([{ ...(small[0] as LakeRow), event_id: null as unknown as string }])).toThrow();
    expect(encodeLakeFile(small)).toEqual(first);
  });

  it("returns bytes of its own, exactly the file, that later encodes leave as they were", () => {
    const files = [sampleRows(40), sampleRows(2000), sampleRows(700)].map((rows) => encodeLakeFile(rows));
    const copies = files.map((bytes) => bytes.slice());
    for (let i = 0; i < 3; i++) encodeLakeFile(sampleRows(1500 + i)); // reuse the scratch buffers again
    files.forEach((bytes, i) => {
      expect(bytes).toEqual(copies[i]);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
    });
  });

  it("keeps a user id filter in the footer that holds every user of every row group", () => {
    const rows = sampleRows(600);
    const metadata = parquetMetadata(toArrayBuffer(encodeLakeFile(rows, { rowGroupSize: 64 })));
    const filter = metadata.key_value_metadata?.find((kv) => kv.key === USER_BLOOM_KEY)?.value as string;
    // The same filter as one built from the rows' own ids (same distinct set, same bits)...
    expect(filter).toBe(userBloom(rows.map((r) => r.user_id)));
    for (const row of rows) if (row.user_id) expect(bloomMayHold(filter, row.user_id)).toBe(true);
    // ...and none at all when no row has a user.
    const anonymous = parquetMetadata(toArrayBuffer(encodeLakeFile(rows.map((r) => ({ ...r, user_id: null })))));
    expect(anonymous.key_value_metadata?.some((kv) => kv.key === USER_BLOOM_KEY) ?? false).toBe(false);
  });

  it("sorts times centuries apart, negative ones included", async () => {
    const rows = sampleRows(2000).map((row, i) => ({
      ...row,
      ts: i % 5 === 0 ? ([0, -86_400_000, -172_800_001][i % 3] as number) : ((i * 104_729) % 97) * 100_000_000_000,
    }));
    const bytes = encodeLakeFile(rows);
    const want = sortedByTs(rows);
    expectSameRows(await readWithHyparquet(bytes), want);
    expectSameRows(await readWithDuckDb(bytes), want);
  });

  it("leaves the caller's array as it was", () => {
    const rows = sampleRows(30);
    const before = structuredClone(rows);
    encodeLakeFile(rows);
    expect(rows).toEqual(before);
  });

  it("writes a readable file with no rows", async () => {
    const bytes = encodeLakeFile([]);
    expect(await readWithHyparquet(bytes)).toEqual([]);
    expect(await readWithDuckDb(bytes)).toEqual([]);
  });

  it("splits large chunks into several pages, with an offset index, and reads them back", async () => {
    // ~3 MB of payload text in one row group: several PLAIN pages of ~1 MiB each
    const rows = sampleRows(3000).map((row, i) => ({
      ...row,
      payload: i % 17 === 0 ? null : `{"blob":"${"é€😀x".repeat(40 + (i % 300))}","i":${i}}`,
      event_id: `${"a".repeat(i % 500)}-${i}`,
    }));
    const bytes = encodeLakeFile(rows);
    const metadata = parquetMetadata(toArrayBuffer(bytes));
    const payload = metadata.row_groups[0]?.columns[LAKE_COLUMNS.findIndex(({ name }) => name === "payload")];
    expect(payload?.meta_data?.encoding_stats?.find((s) => s.page_type === "DATA_PAGE_V2")?.count).toBeGreaterThan(1);
    expect(payload?.offset_index_length).toBeGreaterThan(0);
    const want = sortedByTs(rows);
    expectSameRows(await readWithHyparquet(bytes), want);
    expectSameRows(await readWithDuckDb(bytes), want);
  });

  it("keeps byte-order (code point) min and max for strings, and whole JSON bounds", () => {
    const rows = sampleRows(40).map((row, i) => ({
      ...row,
      // U+FF5E sorts below U+1F600 in UTF-8 (code point) order, though above it in UTF-16 code units
      correlation_id: ["\uff5e", "😀", "a", null][i % 4] as string | null,
      user_id: ["\uff5e-user", "😀-user", "Zoë"][i % 3] as string,
      metadata: i % 2 ? `{"k":"${"v".repeat(i)}"}` : null,
    }));
    const metadata = parquetMetadata(toArrayBuffer(encodeLakeFile(rows)));
    const stats = (name: string) =>
      metadata.row_groups[0]?.columns[LAKE_COLUMNS.findIndex((c) => c.name === name)]?.meta_data?.statistics;
    expect(stats("correlation_id")).toMatchObject({ min_value: "a", max_value: "😀", null_count: 10n });
    expect(stats("user_id")).toMatchObject({ min_value: "Zoë", max_value: "😀-user" });
    const json = stats("metadata");
    expect(json?.null_count).toBe(20n);
    expect(JSON.stringify(json?.max_value)).toContain("v".repeat(39)); // JSON bounds are not truncated
  });

  it("round-trips arbitrary rows (property)", async () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("", "a", "é", "😀", "\u0000x"));
    const maybe = fc.option(text, { nil: null, freq: 3 });
    const row = fc.record({
      event_id: text,
      event_type: fc.constantFrom("click", "view", "ünï", ""),
      ts: fc.integer({ min: -5_000_000_000_000, max: 5_000_000_000_000 }),
      received_at: fc.integer({ min: 0, max: 4_000_000_000_000 }),
      user_id: maybe,
      session_id: maybe,
      correlation_id: maybe,
      source: fc.option(fc.constantFrom("web", "ios"), { nil: null }),
      version: maybe,
      environment: maybe,
      region: maybe,
      request_id: maybe,
      country: maybe,
      colo: maybe,
      payload: fc.option(fc.json(), { nil: null }),
      metadata: fc.option(fc.json(), { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 60 }), fc.integer({ min: 1, max: 25 }), async (rows, groupSize) => {
        const bytes = encodeLakeFile(rows as LakeRow[], { rowGroupSize: groupSize });
        const got = await readWithHyparquet(bytes);
        expect(got).toEqual(sortedByTs(rows as LakeRow[]));
      }),
      { numRuns: 60 },
    );
  });

  it("rejects a null in a required column and a fractional timestamp", () => {
    const [row] = sampleRows(1) as [LakeRow];
    expect(() => encodeLakeFile([{ ...row, event_id: null as unknown as string }])).toThrow(TypeError);
    expect(() => encodeLakeFile([{ ...row, event_type: null as unknown as string }])).toThrow(TypeError);
    expect(() => encodeLakeFile([{ ...row, received_at: 1.5 }])).toThrow(RangeError);
  });

  it("rejects a row group size that is not a positive integer", () => {
    expect(() => encodeLakeFile(input, { rowGroupSize: 0 })).toThrow(RangeError);
    expect(() => encodeLakeFile(input, { rowGroupSize: 1.5 })).toThrow(RangeError);
  });

  describe("metadata", () => {
    let metadata: FileMetaData;
    const groupSize = 64;

    beforeAll(() => {
      metadata = parquetMetadata(toArrayBuffer(encodeLakeFile(input, { rowGroupSize: groupSize })));
    });

    it("lists the columns in LAKE_COLUMNS order with their Parquet types", () => {
      const leaves = metadata.schema.slice(1);
      expect(leaves.map((element) => element.name)).toEqual(LAKE_COLUMNS.map(({ name }) => name));
      for (const [i, { name, type }] of LAKE_COLUMNS.entries()) {
        const element = leaves[i];
        const required = ["event_id", "event_type", "ts", "received_at"].includes(name);
        expect(element?.repetition_type, name).toBe(required ? "REQUIRED" : "OPTIONAL");
        if (type === "TIMESTAMP") {
          expect(element?.type).toBe("INT64");
          expect(element?.logical_type).toEqual({ type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MILLIS" });
        } else {
          expect(element?.type).toBe("BYTE_ARRAY");
          expect(element?.converted_type).toBe(type === "JSON" ? "JSON" : "UTF8");
        }
      }
    });

    it("compresses every column chunk with ZSTD", () => {
      const chunks = metadata.row_groups.flatMap((group) => group.columns);
      expect(chunks).toHaveLength(Math.ceil(input.length / groupSize) * LAKE_COLUMNS.length);
      for (const chunk of chunks) expect(chunk.meta_data?.codec).toBe("ZSTD");
    });

    it("keeps min and max of ts in every row group's statistics", () => {
      const times = expected.map((row) => row.ts);
      metadata.row_groups.forEach((group, g) => {
        const ts = group.columns[LAKE_COLUMNS.findIndex(({ name }) => name === "ts")];
        const inGroup = times.slice(g * groupSize, (g + 1) * groupSize);
        const { min_value, max_value } = ts?.meta_data?.statistics ?? {};
        // hyparquet turns TIMESTAMP statistics into Dates
        expect(min_value).toBeInstanceOf(Date);
        expect((min_value as Date).getTime()).toBe(Math.min(...inGroup));
        expect((max_value as Date).getTime()).toBe(Math.max(...inGroup));
      });
    });
  });

  it("dictionary-encodes repeating columns even where hyparquet-writer's own heuristic would not", () => {
    // Sessions and requests of two events each: a dictionary only saves bytes after ZSTD, so the
    // writer's PLAIN-size heuristic would refuse it; the lake always asks for it.
    const rows = sampleRows(1000).map((row, i) => ({
      ...row,
      session_id: `session-with-a-long-identifier-${i >> 1}`,
      request_id: `request-with-a-long-identifier-${i >> 1}`,
    }));
    const metadata = parquetMetadata(toArrayBuffer(encodeLakeFile(rows)));
    const encodings = (name: string) =>
      metadata.row_groups[0]?.columns.find((chunk) => chunk.meta_data?.path_in_schema[0] === name)?.meta_data
        ?.encodings;
    for (const name of ["event_type", "user_id", "session_id", "request_id", "environment", "country"]) {
      expect(encodings(name), name).toContain("RLE_DICTIONARY");
    }
    for (const name of ["event_id", "correlation_id", "payload"]) expect(encodings(name), name).toEqual(["PLAIN"]);
  });

  it("round-trips plain columns that are all ASCII as well as ones with multi-byte characters", async () => {
    const rows = sampleRows(300).map((row, i) => ({
      ...row,
      event_id: `ascii-event-id-that-is-longer-than-forty-characters-${i}`,
      payload: i % 6 === 0 ? null : `{"path":"/products/${i}/reviews?page=${i % 9}","amount":${i / 8},"ok":true}`,
      metadata: i % 2 === 0 ? `{"note":"ascii only, ${"x".repeat(i % 50)}"}` : null,
    }));
    const bytes = encodeLakeFile(rows, { rowGroupSize: 128 });
    const want = sortedByTs(rows);
    expectSameRows(await readWithHyparquet(bytes), want);
    expectSameRows(await readWithDuckDb(bytes), want);
  });

  it("is typed by DuckDB as TIMESTAMP, VARCHAR and JSON", async () => {
    const file = await fileFor(encodeLakeFile(input));
    const reader = await duckdb.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const types = Object.fromEntries(reader.getRowObjectsJson().map((row) => [row.column_name, row.column_type]));
    expect(types).toEqual(Object.fromEntries(LAKE_COLUMNS.map(({ name, type }) => [name, type])));
  });

  it("is reported by DuckDB as ZSTD with ts statistics", async () => {
    const file = await fileFor(encodeLakeFile(input));
    const reader = await duckdb.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
    expect(reader.getRowObjectsJson()).toEqual([{ compression: "ZSTD" }]);
    const stats = await duckdb.runAndReadAll(
      `SELECT stats_min_value, stats_max_value FROM parquet_metadata('${file}') WHERE path_in_schema = 'ts'`,
    );
    const [row] = stats.getRowObjectsJson();
    expect(new Date(`${row?.stats_min_value}Z`).getTime()).toBe(expected[0]?.ts);
    expect(new Date(`${row?.stats_max_value}Z`).getTime()).toBe(expected.at(-1)?.ts);
  });
});

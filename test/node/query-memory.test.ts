import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LakeRow } from "../../shared/lake/lake-row";
import { encodeLakeFile } from "../../shared/parquet/lake-file";
import { type FileRef, type QueryCatalog, runQuery } from "../../shared/query/index";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const FILES = 4;
const ROWS_PER_FILE = 250_000;
const START = Date.UTC(2025, 2, 1);
const PATHS = Array.from({ length: 50 }, (_, i) => `/p/${i}`);

/** Cheap rows: realistic widths (ids, JSON payloads), generated fast. */
function rows(file: number): LakeRow[] {
  return Array.from({ length: ROWS_PER_FILE }, (_, k) => {
    const i = file * ROWS_PER_FILE + k;
    const ts = START + i * 250;
    return {
      event_id: `evt_${i.toString(16).padStart(12, "0")}_${((i * 2654435761) >>> 0).toString(16)}`,
      event_type: k % 3 === 0 ? "page.view" : "click",
      ts,
      received_at: ts + (i % 997),
      user_id: i % 11 === 0 ? null : `user_${(i * 7919) % 50_000}`,
      session_id: `sess_${Math.floor(i / 20)}`,
      correlation_id: null,
      source: "web",
      version: null,
      environment: "production",
      region: i % 2 ? "eu-west" : "us-east",
      request_id: `req_${Math.floor(i / 50)}`,
      country: null,
      colo: null,
      payload: `{"path":"${PATHS[i % 50]}","amount":${(i % 10_000) / 100},"ok":${i % 7 !== 0},"tags":["a","b${i % 7}"]}`,
      metadata: null,
    };
  });
}

let dir: string;
let files: (FileRef & { path: string })[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tarn-query-mem-"));
  for (let f = 0; f < FILES; f++) {
    const key = `part-${f}.parquet`;
    await writeFile(path.join(dir, key), encodeLakeFile(rows(f), { rowGroupSize: 65_536 }));
    const minTs = START + f * ROWS_PER_FILE * 250;
    files.push({
      key,
      path: path.join(dir, key),
      dataset: "mixed",
      rows: ROWS_PER_FILE,
      minTs,
      maxTs: minTs + ROWS_PER_FILE * 250,
    });
  }
}, 120_000);

afterAll(async () => {
  files = [];
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("memory", () => {
  it("scans a million rows holding only a row group's columns at a time", async () => {
    // Live memory, not garbage: collect before each measurement (taken as each chunk is fetched).
    let peak = 0;
    const sample = () => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    };
    const catalog: QueryCatalog = {
      async listFiles() {
        return files;
      },
      async openFile(key) {
        const file = await asyncBufferFromFile(path.join(dir, key));
        return {
          byteLength: file.byteLength,
          async slice(start, end) {
            sample();
            return file.slice(start, end);
          },
        };
      },
    };
    // What the same columns take decoded: their uncompressed bytes (JS strings take at least that).
    let decodedBytes = 0;
    const read = new Set(["event_id", "event_type", "ts", "received_at", "user_id", "payload"]);
    for (const f of files) {
      const meta = await parquetMetadataAsync(await asyncBufferFromFile(f.path));
      for (const g of meta.row_groups) {
        for (const c of g.columns)
          if (read.has(c.meta_data?.path_in_schema[0] ?? ""))
            decodedBytes += Number(c.meta_data?.total_uncompressed_size);
      }
    }

    gc();
    const baseline = process.memoryUsage().heapUsed;
    const result = await runQuery(
      "SELECT count(*) AS n, count(DISTINCT event_type) AS types, sum(length(payload)) AS chars, max(event_id) AS last, min(user_id) AS first_user, sum(epoch_ms(received_at) - epoch_ms(ts)) AS lag FROM events",
      catalog,
    );
    sample();

    expect(result.rows[0]?.[0]).toBe(FILES * ROWS_PER_FILE);
    expect(result.rows[0]?.[1]).toBe(2);
    expect(result.statistics.rows_read).toBe(FILES * ROWS_PER_FILE);
    const growth = peak - baseline;
    console.log(
      `heap growth ${(growth / 2 ** 20).toFixed(1)} MB; the columns decoded take ${(decodedBytes / 2 ** 20).toFixed(1)} MB`,
    );
    expect(growth).toBeLessThan(64 * 2 ** 20);
    expect(growth).toBeLessThan(decodedBytes / 3);
  }, 120_000);
});

// Ingest end to end against a real `wrangler dev`: 20,000 events in every body shape (JSON array,
// {"events"}, NDJSON, gzip), concurrent requests, one staged (>256 KB) request and producer retries
// land exactly once; every lake file reads the same through hyparquet and DuckDB and matches what was sent.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects, parquetSchema } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { mulberry32 } from "../seeded-random";
import { type ApiInit, type DevServer, startDevServer } from "./server";

const TOTAL = 20_000;
const STAGED_EVENTS = 2_000;
const CONCURRENCY = 6;
const LAND_TIMEOUT_MS = 90_000;

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
});
afterAll(async () => {
  await server?.stop();
});

// ---------------------------------------------------------------------------------------------
// HTTP helpers

function api(route: string, init?: ApiInit) {
  return server.api(route, init);
}

/** The server's output without the per-request access lines, for failure messages. */
function serverLog(max = 6000): string {
  return server
    .logs()
    .split("\n")
    .filter((l) => !/^\[wrangler:info\] (GET|POST) /.test(l))
    .join("\n")
    .slice(-max);
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function newProject(name: string): Promise<{ admin: string; ingest: string; query: string }> {
  const { admin_key } = await json<{ admin_key: string }>(
    await api("/v1/projects", { method: "POST", token: server.adminKey, json: { name } }),
    201,
  );
  const key = async (scope: string) =>
    (
      await json<{ key: string }>(
        await api("/v1/keys", { method: "POST", token: admin_key, json: { name: scope, scopes: [scope] } }),
        201,
      )
    ).key;
  return { admin: admin_key, ingest: await key("ingest"), query: await key("query") };
}

/** Total rows over the per-type datasets (an `events` union entry, if the API lists one, is skipped). */
async function landedTotal(queryKey: string): Promise<number> {
  const { datasets } = await json<{ datasets: { name: string; rows: number }[] }>(
    await api("/v1/datasets", { token: queryKey }),
  );
  return datasets.filter((d) => d.name !== "events").reduce((n, d) => n + Number(d.rows), 0);
}

// ---------------------------------------------------------------------------------------------
// Deterministic events

interface Envelope {
  eventType: string;
  eventId: string;
  timestamp?: string;
  eventSource?: string;
  version?: string;
  userId?: string;
  sessionId?: string;
  correlationId?: string;
  environment?: string;
  region?: string;
  data?: { payload?: Record<string, unknown>; metadata?: Record<string, unknown> };
}

const TYPES = ["page.view", "order.created", "user:signup", "api_call", "button-click"];
const SOURCES = ["web", "ios", "android", "server", "Ünïcödé-source"];
const USERS = ["user-", "ユーザー", "👩‍💻", "Zoë-", "مستخدم"];
const WORDS = [
  "hello",
  "naïve café",
  "中文字符",
  "emoji 🎉🚀",
  'quote " and \\ backslash',
  "tab\tnew\nline",
  "\u2028sep",
];

/** A timestamp as ISO-8601, sometimes with a non-UTC offset (the same instant). */
function isoWithOffset(ms: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return new Date(ms).toISOString();
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes > 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function makeEvents(count: number, seed: number, baseMs: number, idPrefix: string, padBytes = 0): Envelope[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const events: Envelope[] = [];
  for (let i = 0; i < count; i++) {
    const e: Envelope = {
      eventType: pick(TYPES),
      // Distinct by construction; some ids carry non-ASCII characters.
      eventId: i % 9 === 0 ? `${idPrefix}-ключ-${i}` : `${idPrefix}-${i}-${Math.floor(rnd() * 1e9).toString(36)}`,
    };
    // Spread over ~4 hours before base; every 40th event has no timestamp (receive time is used).
    if (i % 40 !== 7) {
      const ms = baseMs - Math.floor(rnd() * 4 * 3_600_000);
      e.timestamp = isoWithOffset(ms, i % 13 === 0 ? 120 : i % 17 === 0 ? -330 : 0);
    }
    if (rnd() < 0.8) e.eventSource = pick(SOURCES);
    if (rnd() < 0.5) e.version = `${1 + (i % 3)}.${i % 7}.0`;
    if (rnd() < 0.85) e.userId = `${pick(USERS)}${Math.floor(rnd() * 500)}`;
    if (rnd() < 0.6) e.sessionId = `s-${Math.floor(rnd() * 2000).toString(16)}`;
    if (rnd() < 0.3) e.correlationId = crypto.randomUUID();
    if (rnd() < 0.7) e.environment = pick(["production", "staging"]);
    if (rnd() < 0.4) e.region = pick(["eu-west", "us-east", "ap-南"]);
    const shape = i % 5;
    if (shape !== 4) {
      const payload: Record<string, unknown> = {
        i,
        word: pick(WORDS),
        price: Math.round(rnd() * 1e6) / 100,
        ok: rnd() < 0.5,
        nothing: null,
        big: Number.MAX_SAFE_INTEGER - i,
        nested: { list: [1, "two", { three: 3, deep: { é: ["ü", null, false] } }], empty: {}, arr: [] },
      };
      if (padBytes > 0) payload.pad = "x".repeat(padBytes);
      if (shape === 3) e.data = { metadata: { sdk: "tarn-js", tags: ["a", "ß"] } };
      else if (shape === 2) e.data = { payload, metadata: { ip_hash: `h${i}`, n: i / 3 } };
      else e.data = { payload };
    } else if (i % 10 === 4) {
      e.data = { payload: {} };
    }
    events.push(e);
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// Requests in every body shape

type Shape = "array" | "events" | "ndjson" | "gzip-array" | "gzip-ndjson";

interface SentRequest {
  shape: Shape;
  events: Envelope[];
  requestIds: string[];
}

function encodeBody(shape: Shape, events: Envelope[]): { body: Uint8Array | string; headers: Record<string, string> } {
  const ndjson = (crlf: boolean) => `${events.map((e) => JSON.stringify(e)).join(crlf ? "\r\n" : "\n")}\n\n`;
  switch (shape) {
    case "array":
      return { body: JSON.stringify(events), headers: { "Content-Type": "application/json" } };
    case "events":
      return { body: JSON.stringify({ events }), headers: { "Content-Type": "application/json; charset=utf-8" } };
    case "ndjson":
      return { body: ndjson(events.length % 2 === 0), headers: { "Content-Type": "application/x-ndjson" } };
    case "gzip-array":
      return {
        body: gzipSync(JSON.stringify(events)),
        headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
      };
    case "gzip-ndjson":
      return {
        body: gzipSync(ndjson(false)),
        headers: { "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip" },
      };
  }
}

async function send(ingestKey: string, req: SentRequest): Promise<void> {
  const { body, headers } = encodeBody(req.shape, req.events);
  const res = await fetch(`${server.url}/v1/events`, {
    method: "POST",
    headers: { ...headers, Authorization: `Bearer ${ingestKey}` },
    body,
  });
  const receipt = await json<{ accepted: number; rejected: number; errors: unknown[]; request_id: string }>(res, 202);
  expect(receipt, `receipt of a ${req.shape} request`).toMatchObject({
    accepted: req.events.length,
    rejected: 0,
    errors: [],
  });
  expect(receipt.request_id).toBe(res.headers.get("X-Request-Id"));
  req.requestIds.push(receipt.request_id);
}

async function pool<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await run(item);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Reading the lake

interface LakeFile {
  key: string;
  dataset: string;
  layer: string;
  rows: number;
  bytes: number;
  min_ts: string;
  max_ts: string;
}

type Cell = string | number | null;

/** One reader's view of a value: timestamps as epoch ms, strings as-is, JSON as its text, null as null. */
function normalize(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" || typeof v === "number") return v;
  if (typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

const TIMESTAMP_COLUMNS = new Set(LAKE_COLUMNS.filter((c) => c.type === "TIMESTAMP").map((c) => c.name as string));
const decoder = new TextDecoder();

async function readWithHyparquet(bytes: Uint8Array): Promise<{ columns: string[]; rows: Record<string, Cell>[] }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const columns = parquetSchema(parquetMetadata(file)).children.map((c) => c.element.name);
  const raw = (await parquetReadObjects({
    file,
    compressors: lakeCompressors,
    // Keep JSON columns as their exact text so both readers are compared byte for byte.
    parsers: { jsonFromBytes: (b: Uint8Array) => b && decoder.decode(b) },
  })) as Record<string, unknown>[];
  return { columns, rows: raw.map((r) => Object.fromEntries(columns.map((c) => [c, normalize(r[c])]))) };
}

describe("ingest lands exactly once (real wrangler dev)", () => {
  it("20,000 events in every body shape, with retries and a staged request, land once and read back identically", async () => {
    const startedAt = Date.now();
    const project = await newProject("e2e-ingest");
    const baseMs = Date.now() - 60_000;

    // The staged request: 2,000 events with ~300-byte payload padding, well over the 256 KB sendBatch cap.
    const staged: SentRequest = {
      shape: "events",
      events: makeEvents(STAGED_EVENTS, 7, baseMs, "staged", 300),
      requestIds: [],
    };
    expect(JSON.stringify(staged.events).length).toBeGreaterThan(600 * 1024);

    // The rest: varied request sizes and shapes; requests of 1,000 events also go through staging.
    const rest = makeEvents(TOTAL - STAGED_EVENTS, 42, baseMs, "e");
    const shapes: Shape[] = ["array", "events", "ndjson", "gzip-array", "gzip-ndjson"];
    const sizes = [250, 100, 37, 400, 1000, 180, 3, 320];
    const requests: SentRequest[] = [];
    for (let at = 0, n = 0; at < rest.length; n++) {
      const size = sizes[n % sizes.length] as number;
      requests.push({ shape: shapes[n % shapes.length] as Shape, events: rest.slice(at, at + size), requestIds: [] });
      at += size;
    }
    const sentEvents = [...staged.events, ...rest];
    expect(sentEvents).toHaveLength(TOTAL);
    expect(new Set(sentEvents.map((e) => e.eventId)).size).toBe(TOTAL);

    // Producer retries while the originals are in flight: three whole requests sent again.
    const earlyRetries = [requests[2], requests[3], requests[10]] as SentRequest[];
    expect(new Set(earlyRetries.map((r) => r.shape)).size).toBe(3);
    const work: SentRequest[] = [staged, ...requests.slice(0, 20), ...earlyRetries, ...requests.slice(20)];
    const sendStart = Date.now();
    await pool(work, CONCURRENCY, (req) => send(project.ingest, req));
    const sendEnd = Date.now();

    // Wait until all 20,000 are in the lake; never more than that on the way.
    let total = 0;
    const observed: number[] = [];
    while (total < TOTAL && Date.now() - sendEnd < LAND_TIMEOUT_MS) {
      await new Promise((r) => setTimeout(r, 500));
      total = await landedTotal(project.query);
      observed.push(total);
      expect(total, `rows in the lake (seen so far: ${observed.join(",")})`).toBeLessThanOrEqual(TOTAL);
    }
    if (total !== TOTAL) {
      const dead = await (await api("/v1/dead-letters?limit=1000", { token: project.admin })).text();
      expect(
        total,
        `landed within ${LAND_TIMEOUT_MS} ms (seen: ${observed.join(",")}); dead letters: ${dead.slice(0, 1500)}; logs:\n${serverLog()}`,
      ).toBe(TOTAL);
    }
    const landedAt = Date.now();

    // Late producer retries, after everything landed: the staged request and an NDJSON one again.
    const lateRetries = [staged, requests[7] as SentRequest];
    for (const req of lateRetries) await send(project.ingest, req);
    // A sentinel in another project, sent after the retries, marks when the queue has moved past them.
    const other = await newProject("e2e-ingest-sentinel");
    await send(other.ingest, { shape: "array", events: makeEvents(5, 99, baseMs, "sentinel"), requestIds: [] });
    const sentinelDeadline = Date.now() + 30_000;
    while ((await landedTotal(other.query)) < 5 && Date.now() < sentinelDeadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await landedTotal(other.query)).toBe(5);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await landedTotal(project.query), "rows after the late retries").toBe(TOTAL);

    // Every file listed by the manifest: bytes, both readers, column-by-column equality.
    const listed = await json<{ files: LakeFile[] }>(await api("/v1/lake/files", { token: project.query }));
    // The events' files: a dev cron tick may also have archived the audit log into the lake.
    const files = listed.files.filter((f) => f.dataset !== "audit");
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(TOTAL);
    const dir = mkdtempSync(path.join(tmpdir(), "tarn-e2e-lake-"));
    const duck = await DuckDBInstance.create(":memory:", { threads: "1" });
    const conn = await duck.connect();
    const byId = new Map<string, Record<string, Cell>>();
    let duplicates = 0;
    try {
      for (const [i, f] of files.entries()) {
        expect(f.layer).toBe("bronze");
        const res = await api(`/v1/lake/files/${f.key}`, { token: project.query });
        expect(res.status, f.key).toBe(200);
        expect(res.headers.get("Content-Type")).toBe("application/vnd.apache.parquet");
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect(bytes.byteLength).toBe(f.bytes);
        expect(decoder.decode(bytes.subarray(0, 4))).toBe("PAR1");

        const hy = await readWithHyparquet(bytes);
        expect(hy.columns, "hyparquet columns").toEqual(LAKE_COLUMNS.map((c) => c.name));
        expect(hy.rows).toHaveLength(f.rows);

        const local = path.join(dir, `f${i}.parquet`);
        writeFileSync(local, bytes);
        const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${local}')`);
        const duckColumns = described.getRowObjectsJS().map((r) => String(r.column_name));
        expect(duckColumns, "DuckDB columns").toEqual(LAKE_COLUMNS.map((c) => c.name));
        const select = duckColumns
          .map((c) => (TIMESTAMP_COLUMNS.has(c) ? `epoch_ms("${c}")::BIGINT AS "${c}"` : `"${c}"::VARCHAR AS "${c}"`))
          .join(", ");
        const read = await conn.runAndReadAll(`SELECT ${select} FROM read_parquet('${local}')`);
        const duckRows = read
          .getRowObjectsJS()
          .map((r) => Object.fromEntries(duckColumns.map((c) => [c, normalize(r[c])])));
        expect(duckRows).toHaveLength(f.rows);

        for (const c of duckColumns) {
          const a = hy.rows.map((r) => r[c]);
          const b = duckRows.map((r) => r[c]);
          expect(a, `column ${c} of ${f.key}: hyparquet vs DuckDB`).toEqual(b);
        }

        // The manifest's statistics describe the file.
        const ts = hy.rows.map((r) => r.ts as number);
        expect(new Date(Math.min(...ts)).toISOString()).toBe(f.min_ts);
        expect(new Date(Math.max(...ts)).toISOString()).toBe(f.max_ts);
        for (const r of hy.rows) {
          expect(r.event_type).toBe(f.dataset);
          const id = r.event_id as string;
          if (byId.has(id)) duplicates++;
          byId.set(id, r);
        }
      }
    } finally {
      conn.closeSync();
      duck.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }

    // Exactly the sent ids, each once.
    expect(duplicates, "duplicate event_ids in the lake").toBe(0);
    expect(byId.size).toBe(TOTAL);
    const missing = sentEvents.filter((e) => !byId.has(e.eventId)).map((e) => e.eventId);
    expect(missing.slice(0, 10), `${missing.length} sent events missing`).toEqual([]);

    // payload and metadata hold the JSON object's text, not a JSON string literal wrapping it.
    const withPayload = [...byId.values()].find((r) => r.payload !== null) as Record<string, Cell>;
    expect(
      String(withPayload.payload).slice(0, 40),
      "payload column must be JSON object text, not double-encoded",
    ).toMatch(/^\{/);

    // Values match what was sent, for every event.
    const requestIdsOf = new Map<string, string[]>();
    for (const req of [staged, ...requests]) for (const e of req.events) requestIdsOf.set(e.eventId, req.requestIds);
    for (const sent of sentEvents) {
      const row = byId.get(sent.eventId) as Record<string, Cell>;
      const expected = {
        event_type: sent.eventType,
        user_id: sent.userId ?? null,
        session_id: sent.sessionId ?? null,
        correlation_id: sent.correlationId ?? null,
        source: sent.eventSource ?? null,
        version: sent.version ?? null,
        environment: sent.environment ?? null,
        region: sent.region ?? null,
      };
      expect(Object.fromEntries(Object.keys(expected).map((k) => [k, row[k]])), sent.eventId).toEqual(expected);
      if (sent.timestamp) expect(row.ts, `${sent.eventId} ts`).toBe(Date.parse(sent.timestamp));
      else {
        expect(row.ts).toBe(row.received_at);
        expect(row.ts as number).toBeGreaterThanOrEqual(sendStart - 1000);
        expect(row.ts as number).toBeLessThanOrEqual(sendEnd + 1000);
      }
      expect(row.received_at as number).toBeGreaterThanOrEqual(sendStart - 1000);
      expect(row.received_at as number).toBeLessThanOrEqual(landedAt + 60_000);
      expect(row.payload === null ? undefined : JSON.parse(row.payload as string), `${sent.eventId} payload`).toEqual(
        sent.data?.payload,
      );
      expect(
        row.metadata === null ? undefined : JSON.parse(row.metadata as string),
        `${sent.eventId} metadata`,
      ).toEqual(sent.data?.metadata);
      // The row names the request it came in (the original or a producer retry of it).
      expect(requestIdsOf.get(sent.eventId)).toContain(row.request_id);
    }
    // The staged request's events came through the staged path and carry its request id(s).
    expect(staged.requestIds).toHaveLength(2);
    const stagedRows = staged.events.map((e) => byId.get(e.eventId) as Record<string, Cell>);
    expect(stagedRows.every((r) => staged.requestIds.includes(r.request_id as string))).toBe(true);
    console.log(
      `[ingest e2e] ${TOTAL} events, ${work.length + lateRetries.length} requests, sent in ${sendEnd - sendStart} ms, ` +
        `landed ${landedAt - sendEnd} ms after the last send, ${files.length} files; total ${Date.now() - startedAt} ms`,
    );
  });
});

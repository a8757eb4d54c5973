import { tableFromIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { call, createKey, createProject, expectEnvelope } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 20, 9);

async function projectWithEvents() {
  const p = await createProject("q");
  const { key } = await createKey(p.adminKey, ["query"]);
  await deliver([
    message(p.id, [
      queued(p.id, "a", { ts: T, payload: '{"amount":5,"path":"/a"}' }),
      queued(p.id, "b", { ts: T + 60_000, payload: '{"amount":7,"path":"/b"}' }),
      queued(p.id, "c", { ts: T + 2 * 3600_000, event_type: "order.created", payload: '{"amount":100}' }),
    ]),
  ]);
  return { ...p, query: key };
}

interface JsonAnswer {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  rows: number;
  statistics: Record<string, number | boolean>;
}

const sql = (token: string, text: string, extra: Record<string, unknown> = {}) =>
  call("/v1/query", { method: "POST", token, json: { sql: text, ...extra } });

describe("POST /v1/query", () => {
  it("answers in the ClickHouse JSON shape with statistics", async () => {
    const p = await projectWithEvents();
    const res = await sql(
      p.query,
      "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY event_type",
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as JsonAnswer;
    expect(body.meta).toEqual([
      { name: "event_type", type: "VARCHAR" },
      { name: "n", type: "BIGINT" },
    ]);
    expect(body.data).toEqual([
      { event_type: "order.created", n: 1 },
      { event_type: "page.view", n: 2 },
    ]);
    expect(body.rows).toBe(2);
    expect(body.statistics).toMatchObject({ rows_read: 3, files_read: 2, cached: false });
    expect(body.statistics.bytes_read).toBeGreaterThan(0);
    expect(body.statistics.elapsed).toBeGreaterThanOrEqual(0);
  });

  it("reads per-event-type tables, JSON fields and time filters, and prunes files by time", async () => {
    const p = await projectWithEvents();
    const res = await sql(
      p.query,
      `SELECT sum(CAST(json_extract_string(payload, '$.amount') AS INTEGER)) AS total FROM "page.view" WHERE ts >= TIMESTAMP '2026-11-20 09:00:30'`,
    );
    const body = (await res.json()) as JsonAnswer;
    expect(body.data).toEqual([{ total: 7 }]);
    const late = (await (
      await sql(p.query, "SELECT count(*) AS n FROM events WHERE ts > TIMESTAMP '2026-11-20 10:00:00'")
    ).json()) as JsonAnswer;
    expect(late.data).toEqual([{ n: 1 }]);
    expect(late.statistics.files_pruned).toBe(1);
  });

  it("answers as CSV, NDJSON and Arrow", async () => {
    const p = await projectWithEvents();
    const q = "SELECT event_id, ts FROM events ORDER BY event_id";
    const csv = await sql(p.query, q, { format: "csv" });
    expect(csv.headers.get("Content-Type")).toContain("text/csv");
    expect(await csv.text()).toBe(
      "event_id,ts\r\na,2026-11-20T09:00:00.000Z\r\nb,2026-11-20T09:01:00.000Z\r\nc,2026-11-20T11:00:00.000Z\r\n",
    );
    const nd = await (await sql(p.query, q, { format: "ndjson" })).text();
    expect(
      nd
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).event_id),
    ).toEqual(["a", "b", "c"]);
    const arrow = await sql(p.query, q, { format: "arrow" });
    expect(arrow.headers.get("Content-Type")).toBe("application/vnd.apache.arrow.stream");
    const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
    expect(table.numRows).toBe(3);
    expect(table.getChild("event_id")?.toArray()).toEqual(["a", "b", "c"]);
    expect(Number(table.getChild("ts")?.get(0))).toBe(T);
  });

  it("serves an identical query from cache until the manifest changes", async () => {
    const p = await projectWithEvents();
    const q = "SELECT count(*) AS n FROM events";
    const first = (await (await sql(p.query, q)).json()) as JsonAnswer;
    expect(first.statistics.cached).toBe(false);
    const again = await sql(p.query, q);
    expect(again.headers.get("X-Tarn-Cache")).toBe("hit");
    expect(((await again.json()) as JsonAnswer).statistics.cached).toBe(true);
    await deliver([message(p.id, [queued(p.id, "d", { ts: T + 5000 })])]);
    const after = (await (await sql(p.query, q)).json()) as JsonAnswer;
    expect(after.statistics.cached).toBe(false);
    expect(after.data).toEqual([{ n: 4 }]);
    const clock = "SELECT count(*) AS n FROM events WHERE ts < now()";
    await sql(p.query, clock);
    expect((await sql(p.query, clock)).headers.get("X-Tarn-Cache")).toBeNull();
  });

  it("names the step that answered, and a cached answer is the same in every format", async () => {
    const p = await projectWithEvents();
    // A BIGINT past 2^53 and a TIMESTAMP: values plain JSON would not keep.
    const q = "SELECT event_id, ts, CAST('9007199254740992' AS BIGINT) AS big FROM events ORDER BY event_id";
    const first = await sql(p.query, q);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(first.headers.get("X-Tarn-Source")).toBe("scan");
    const scanned = (await first.json()) as JsonAnswer;
    expect(scanned.statistics).toMatchObject({ source: "scan", cached: false, rollup: false });
    const csv = await sql(p.query, q, { format: "csv" });
    expect(csv.headers.get("X-Tarn-Source")).toBe("cache");
    expect(csv.headers.get("X-Tarn-Cache")).toBe("hit");
    expect(await csv.text()).toBe(
      "event_id,ts,big\r\na,2026-11-20T09:00:00.000Z,9007199254740992\r\nb,2026-11-20T09:01:00.000Z,9007199254740992\r\nc,2026-11-20T11:00:00.000Z,9007199254740992\r\n",
    );
    const cached = (await (await sql(p.query, q)).json()) as JsonAnswer;
    expect(cached.data).toEqual(scanned.data);
    expect(cached.statistics).toMatchObject({ source: "cache", cached: true, rows_read: scanned.statistics.rows_read });
  });

  it("answers as the lake was at a snapshot or a time", async () => {
    const p = await projectWithEvents();
    const snaps = (await (await call("/v1/snapshots", { token: p.query })).json()) as {
      snapshots: { id: number; created_at: string }[];
    };
    const first = snaps.snapshots[0] as { id: number; created_at: string };
    await new Promise((r) => setTimeout(r, 10));
    await deliver([message(p.id, [queued(p.id, "later", { ts: T })])]);
    const q = "SELECT count(*) AS n FROM events";
    expect(((await (await sql(p.query, q)).json()) as JsonAnswer).data).toEqual([{ n: 4 }]);
    expect(((await (await sql(p.query, q, { snapshot: first.id })).json()) as JsonAnswer).data).toEqual([{ n: 3 }]);
    expect(((await (await sql(p.query, q, { as_of: first.created_at })).json()) as JsonAnswer).data).toEqual([
      { n: 3 },
    ]);
    expect(((await (await sql(p.query, q, { as_of: "2000-01-01T00:00:00Z" })).json()) as JsonAnswer).data).toEqual([
      { n: 0 },
    ]);
    expect((await sql(p.query, q, { snapshot: 99_999_999 })).status).toBe(404);
  });

  it("only ever sees the caller's project", async () => {
    const a = await projectWithEvents();
    const b = await projectWithEvents();
    await deliver([message(b.id, [queued(b.id, "only-b", { ts: T })])]);
    const body = (await (await sql(a.query, "SELECT count(*) AS n FROM events")).json()) as JsonAnswer;
    expect(body.data).toEqual([{ n: 3 }]);
  });

  it("rejects anything but a single SELECT, and unknown names, with INVALID_SQL", async () => {
    const p = await projectWithEvents();
    for (const text of [
      "DROP TABLE events",
      "DELETE FROM events",
      "SELECT 1; SELECT 2",
      "ATTACH 'x.db'",
      "COPY events TO 'x.csv'",
      "PRAGMA version",
      "SELECT * FROM read_parquet('x.parquet')",
      "SELECT nope FROM events",
      "SELECT * FROM missing_table",
      "SELECT frobnicate(event_id) FROM events",
    ]) {
      const res = await sql(p.query, text);
      expect(res.status, text).toBe(400);
      expect((await expectEnvelope(res)).code, text).toBe("INVALID_SQL");
    }
    const unknown = await expectEnvelope(await sql(p.query, "SELECT * FROM missing_table"));
    expect(unknown.message).toContain("missing_table");
  });

  it("validates without running, and needs the query scope", async () => {
    const p = await projectWithEvents();
    const ok = await call("/v1/query/validate", {
      method: "POST",
      token: p.query,
      json: { sql: 'SELECT count(*) FROM "order.created"' },
    });
    expect(await ok.json()).toEqual({ valid: true });
    const bad = (await (
      await call("/v1/query/validate", { method: "POST", token: p.query, json: { sql: "SELECT x FROM events" } })
    ).json()) as { valid: boolean; errors: string[] };
    expect(bad.valid).toBe(false);
    expect(bad.errors[0]).toContain("x");
    const { key: ingest } = await createKey(p.adminKey, ["ingest"]);
    expect((await sql(ingest, "SELECT 1")).status).toBe(403);
    expect((await call("/v1/query", { method: "POST", token: p.query, json: { sql: "" } })).status).toBe(400);
  });
});

describe("EXPLAIN", () => {
  interface Explained extends JsonAnswer {
    explain: {
      source: string;
      cache: { eligible: boolean; hit: boolean };
      rollup: { eligible: boolean; reason?: string };
      scans: {
        table: string;
        files_listed: number;
        files_to_read: number;
        rows_to_read: number;
        columns: string[];
        time_range: { from: string | null; to: string | null } | null;
        event_types: string[] | null;
        splits: number;
      }[];
      analyzed?: Record<string, number>;
    };
  }

  it("shows what a scan would read after pruning, without reading any file", async () => {
    const p = await projectWithEvents();
    const res = await sql(
      p.query,
      "EXPLAIN SELECT user_id, count(*) FROM events WHERE ts >= TIMESTAMP '2026-11-20 10:00:00' GROUP BY user_id",
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Explained;
    expect(body.explain.source).toBe("scan");
    expect(body.explain.rollup.eligible).toBe(false);
    const [scan] = body.explain.scans;
    expect(scan).toMatchObject({
      table: "events",
      files_listed: 1,
      files_to_read: 1,
      rows_to_read: 1,
      time_range: { from: "2026-11-20T10:00:00.000Z", to: null },
      splits: 0,
    });
    expect(scan?.columns.sort()).toEqual(["ts", "user_id"]);
    expect(body.statistics).toMatchObject({ rows_read: 0, files_read: 0, source: "scan" });
    expect(body.meta).toEqual([{ name: "plan", type: "VARCHAR" }]);
    expect(body.data.map((r) => r.plan).join("\n")).toContain("1 files listed, 1 to read");
  });

  it("counts the splits a large scan would run, and EXPLAIN ANALYZE runs it", async () => {
    const p = await projectWithEvents();
    // The test Worker splits scans of more than 2 files; add two more files.
    await deliver([message(p.id, [queued(p.id, "d", { ts: T + 3 * 3600_000 })])]);
    await deliver([message(p.id, [queued(p.id, "e", { ts: T + 4 * 3600_000, event_type: "order.created" })])]);
    const plan = (await (
      await sql(p.query, "EXPLAIN SELECT event_type, count(*) FROM events GROUP BY 1")
    ).json()) as Explained;
    expect(plan.explain.scans[0]).toMatchObject({ files_to_read: 4, rows_to_read: 5 });
    expect(plan.explain.scans[0]?.splits).toBeGreaterThanOrEqual(2);

    const analyzed = (await (
      await sql(
        p.query,
        "explain analyze SELECT event_type, count(*) FROM events WHERE event_type = 'order.created' GROUP BY 1",
      )
    ).json()) as Explained;
    expect(analyzed.explain.scans[0]).toMatchObject({ event_types: ["order.created"], files_to_read: 2 });
    expect(analyzed.explain.analyzed).toMatchObject({ rows_read: 2, files_read: 2 });
  });

  it("says when the answer would come from cache", async () => {
    const p = await projectWithEvents();
    const q = "SELECT count(*) AS n FROM events";
    const before = (await (await sql(p.query, `EXPLAIN ${q}`)).json()) as Explained;
    expect(before.explain.cache).toEqual({ eligible: true, hit: false });
    await sql(p.query, q);
    const after = (await (await sql(p.query, `EXPLAIN ${q}`)).json()) as Explained;
    expect(after.explain).toMatchObject({ source: "cache", cache: { eligible: true, hit: true } });
  });

  it("reports SQL errors at their place in the original text", async () => {
    const p = await projectWithEvents();
    const res = await sql(p.query, "EXPLAIN SELECT nope FROM events");
    expect(res.status).toBe(400);
    const error = await expectEnvelope(res);
    expect(error.code).toBe("INVALID_SQL");
    expect(error.details).toMatchObject({ line: 1, column: 16 });
  });
});

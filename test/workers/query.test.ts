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

// The lake as Iceberg tables against a real `wrangler dev`: an independent reader (icebird) reads each
// dataset's table through the REST catalog's metadata and sees exactly the rows Tarn's SQL sees, before
// and after compaction; Iceberg snapshots are Tarn's snapshots, compaction a `replace` snapshot.
//
// The metadata points at ICEBERG_WAREHOUSE; here that is a local HTTP endpoint standing in for the
// bucket's S3 API, which serves the objects through Tarn's read-only object route with a query key.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { icebergRead } from "icebird";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./server";

const TIMEOUT_MS = 90_000;

let server: DevServer;
let bucket: Server;
let bucketUrl = "";
/** The query key the stand-in bucket reads with (set once the project exists). */
let readKey = "";

beforeAll(async () => {
  bucket = createServer(async (req, res) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${readKey}` };
    if (req.headers.range) headers.Range = req.headers.range;
    const upstream = await fetch(`${server.url}/iceberg/v1/objects${req.url}`, { headers });
    const body = Buffer.from(await upstream.arrayBuffer());
    const out: Record<string, string> = { "Content-Length": String(body.length) };
    const range = upstream.headers.get("Content-Range");
    if (range) out["Content-Range"] = range;
    res.writeHead(upstream.status, out).end(body);
  });
  await new Promise<void>((resolve) => bucket.listen(0, "127.0.0.1", resolve));
  bucketUrl = `http://127.0.0.1:${(bucket.address() as AddressInfo).port}`;
  server = await startDevServer(["--var", `ICEBERG_WAREHOUSE:${bucketUrl}`]);
});
afterAll(async () => {
  await new Promise((r) => bucket?.close(r));
  await server?.stop();
});

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function newProject(name: string) {
  const { admin_key, id } = await json<{ admin_key: string; id: string }>(
    await server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name } }),
    201,
  );
  const key = async (scope: string) =>
    (
      await json<{ key: string }>(
        await server.api("/v1/keys", { method: "POST", token: admin_key, json: { name: scope, scopes: [scope] } }),
        201,
      )
    ).key;
  return { id, admin: admin_key, ingest: await key("ingest"), query: await key("query") };
}

interface Row {
  event_id: string;
  user_id: string | null;
  total: number;
}

interface LoadTable {
  "metadata-location": string;
  metadata: {
    location: string;
    "current-snapshot-id": number;
    snapshots: { "snapshot-id": number; summary: Record<string, string> }[];
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("Iceberg tables and REST catalog", () => {
  it("icebird reads the same rows as Tarn's SQL, before and after compaction", async () => {
    const p = await newProject("iceberg");
    readKey = p.query;
    const sent: string[] = [];
    // Four requests: four consumer batches, so the table has several append snapshots.
    for (let r = 0; r < 4; r++) {
      const events = Array.from({ length: 25 }, (_, i) => {
        const n = r * 25 + i;
        sent.push(`e-${n}`);
        return {
          eventType: "Order Completed",
          eventId: `e-${n}`,
          userId: `u${n % 9}`,
          timestamp: new Date(Date.UTC(2026, 10, 29, 10, n % 60)).toISOString(),
          data: { payload: { total: n } },
        };
      });
      await json(await server.api("/v1/events", { method: "POST", token: p.ingest, json: events }), 202);
      await new Promise((r2) => setTimeout(r2, 400));
    }

    const sql = async () =>
      (
        await json<{ data: Row[] }>(
          await server.api("/v1/query", {
            method: "POST",
            token: p.query,
            json: {
              sql: `SELECT event_id, user_id, CAST(json_extract_string(payload, '$.total') AS BIGINT) AS total FROM "Order Completed" ORDER BY event_id`,
            },
          }),
        )
      ).data.map((r) => ({ ...r, total: Number(r.total) }));
    await until("the events to land", async () => ((await sql()).length === sent.length ? true : undefined));
    const tarnRows = await sql();

    const catalog = (path: string) => server.api(`/iceberg/v1${path}`, { token: p.query });
    expect(await json(await catalog("/config"))).toEqual({ defaults: {}, overrides: {} });
    expect(await json(await catalog("/namespaces"))).toEqual({ namespaces: [["lake"]] });
    expect(await json(await catalog("/namespaces/lake/tables"))).toEqual({
      identifiers: [{ namespace: ["lake"], name: "Order Completed" }],
    });
    expect((await catalog("/namespaces/lake/tables/nope")).status).toBe(404);
    expect((await server.api("/iceberg/v1/namespaces", { token: p.ingest })).status).toBe(403);

    const tarnSnapshots = async () =>
      (await json<{ snapshots: { id: number; kind: string }[] }>(await server.api("/v1/snapshots", { token: p.query })))
        .snapshots;
    const load = async () =>
      json<LoadTable>(await catalog(`/namespaces/lake/tables/${encodeURIComponent("Order Completed")}`));

    /** Reads the table as a stranger would: icebird, from the metadata the catalog names. */
    const icebirdRows = async (table: LoadTable) => {
      const rows = (await icebergRead({ tableUrl: table.metadata.location, metadata: table.metadata as never })) as {
        event_id: string;
        user_id: string | null;
        payload: { total: number } | string;
      }[];
      // hyparquet parses JSON columns (the lake's payload is Parquet JSON), so it may be an object already.
      const payloadOf = (v: { total: number } | string) =>
        (typeof v === "string" ? JSON.parse(v) : v) as { total: number };
      return rows
        .map((r) => ({ event_id: r.event_id, user_id: r.user_id, total: Number(payloadOf(r.payload).total) }))
        .sort((a, b) => (a.event_id < b.event_id ? -1 : 1));
    };

    const before = await load();
    const appendIds = (await tarnSnapshots()).filter((s) => s.kind === "append").map((s) => s.id);
    expect(before.metadata.location).toBe(`${bucketUrl}/lake/${p.id}/iceberg/Order~20Completed`);
    // Appends between two syncs collapse into one Iceberg snapshot named by the last of them.
    const icebergIds = before.metadata.snapshots.map((s) => s["snapshot-id"]);
    expect(icebergIds.every((id) => appendIds.includes(id))).toBe(true);
    expect(icebergIds.at(-1)).toBe(Math.max(...appendIds));
    expect(before.metadata.snapshots.every((s) => s.summary.operation === "append")).toBe(true);
    // Fast append: after the first, an append's manifest holds only its own files (the list reuses the rest).
    const fullness = (t: LoadTable) =>
      t.metadata.snapshots.map((s) => JSON.parse(s.summary["tarn.manifest"] ?? "{}").full);
    expect(fullness(before)[0]).toBe(true);
    expect(fullness(before).slice(1)).toEqual(before.metadata.snapshots.slice(1).map(() => false));
    expect(await icebirdRows(before)).toEqual(tarnRows);

    const job = await json<{ id: string }>(
      await server.api("/v1/jobs", {
        method: "POST",
        token: p.admin,
        json: { type: "compact", dataset: "Order Completed" },
      }),
      202,
    );
    await until("the compaction", async () => {
      const j = await json<{ status: string }>(await server.api(`/v1/jobs/${job.id}`, { token: p.admin }));
      if (j.status === "failed") throw new Error("compaction failed");
      return j.status === "succeeded" ? true : undefined;
    });
    const compactId = (await tarnSnapshots()).find((s) => s.kind === "compact")?.id;
    expect(compactId).toBeDefined();
    const after = await until("the compaction snapshot in Iceberg", async () => {
      const t = await load();
      return t.metadata["current-snapshot-id"] === compactId ? t : undefined;
    });
    const replace = after.metadata.snapshots.at(-1);
    expect(replace?.summary.operation).toBe("replace");
    expect(Number(replace?.summary["deleted-data-files"])).toBeGreaterThan(1);
    expect(replace?.summary["total-records"]).toBe(String(sent.length));
    expect(await sql()).toEqual(tarnRows);
    expect(fullness(after).at(-1)).toBe(true);
    expect(await icebirdRows(after)).toEqual(tarnRows);
    // The older snapshot still reads as it was (time travel within the GC grace period).
    expect(after.metadata.snapshots.length).toBe(before.metadata.snapshots.length + 1);
  });
});

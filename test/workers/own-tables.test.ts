// Tables of their own (uploads, views): a dataset whose files carry their own columns is a SQL table
// with exactly those columns, joinable with events, and never part of `events` or its rollups.
import { env } from "cloudflare:workers";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { publish } from "../../services/manifest/publish";
import type { Layer } from "../../shared/lake/partition";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 20, 9);

/** Publishes one Parquet file of the given columns as a dataset of `layer`, as an upload or a view would. */
async function publishOwnTable(
  projectId: string,
  dataset: string,
  layer: Layer,
  columns: { name: string; type: "BIGINT" | "DOUBLE" | "VARCHAR" | "TIMESTAMP"; data: unknown[] }[],
) {
  const parquetType = { BIGINT: "INT64", DOUBLE: "DOUBLE", VARCHAR: "STRING", TIMESTAMP: "TIMESTAMP" } as const;
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: c.name, data: c.data, type: parquetType[c.type] })),
  });
  const key = `lake/${projectId}/${layer}/${dataset}/dt=2026-11-20/${crypto.randomUUID()}.parquet`;
  await env.LAKE.put(key, buffer);
  const rows = columns[0]?.data.length ?? 0;
  await publish(env.DB, {
    kind: layer === "gold" ? "view" : "upload",
    projectId,
    commitId: crypto.randomUUID(),
    remove: [],
    add: [
      {
        key,
        dataset,
        layer,
        dt: "2026-11-20",
        hr: null,
        rows,
        bytes: buffer.byteLength,
        minTs: 0,
        maxTs: 0,
        columns: columns.map((c) => ({ name: c.name, type: c.type })),
      },
    ],
  });
}

async function sql(token: string, text: string) {
  const res = await call("/v1/query", { method: "POST", token, json: { sql: text } });
  const body = (await res.json()) as { data: Record<string, unknown>[]; error?: { code: string; message: string } };
  return { status: res.status, ...body };
}

async function shopWithCustomers() {
  const p = await createProject("own");
  const { key } = await createKey(p.adminKey, ["query"]);
  await deliver([
    message(p.id, [
      queued(p.id, "o1", { event_type: "order", user_id: "ann", ts: T }),
      queued(p.id, "o2", { event_type: "order", user_id: "ann", ts: T + 60_000 }),
      queued(p.id, "o3", { event_type: "order", user_id: "bob", ts: T + 120_000 }),
    ]),
  ]);
  // Its own `ts` and `event_type` columns mean nothing to the manifest's event-time pruning.
  await publishOwnTable(p.id, "customers", "uploads", [
    { name: "user_id", type: "VARCHAR", data: ["ann", "bob", "cy"] },
    { name: "plan", type: "VARCHAR", data: ["pro", "free", "pro"] },
    { name: "seats", type: "BIGINT", data: [5n, 1n, 12n] },
    { name: "event_type", type: "VARCHAR", data: ["x", "y", "z"] },
    { name: "ts", type: "TIMESTAMP", data: [new Date(T - 86_400_000), new Date(T), new Date(T + 86_400_000)] },
  ]);
  return { ...p, query: key };
}

describe("tables of their own", () => {
  it("binds exactly the file's columns and answers over them", async () => {
    const p = await shopWithCustomers();
    const all = await sql(p.query, "SELECT * FROM customers ORDER BY user_id");
    expect(all.status).toBe(200);
    expect(Object.keys(all.data[0] ?? {})).toEqual(["user_id", "plan", "seats", "event_type", "ts"]);
    expect(all.data.map((r) => [r.user_id, r.plan, r.seats])).toEqual([
      ["ann", "pro", 5],
      ["bob", "free", 1],
      ["cy", "pro", 12],
    ]);
    const lake = await sql(p.query, "SELECT payload FROM customers");
    expect(lake.status).toBe(400);
    expect(lake.error?.message).toContain("payload");
  });

  it("filters on its own ts and event_type columns without the manifest pruning its files away", async () => {
    const p = await shopWithCustomers();
    const later = await sql(
      p.query,
      "SELECT user_id FROM customers WHERE ts >= TIMESTAMP '2026-11-20 09:00:00' AND event_type IN ('y', 'z') ORDER BY 1",
    );
    expect(later.data).toEqual([{ user_id: "bob" }, { user_id: "cy" }]);
    const newest = await sql(p.query, "SELECT user_id FROM customers ORDER BY ts DESC LIMIT 1");
    expect(newest.data).toEqual([{ user_id: "cy" }]);
  });

  it("joins with an event table", async () => {
    const p = await shopWithCustomers();
    const joined = await sql(
      p.query,
      'SELECT c.plan, count(*) AS orders FROM "order" o JOIN customers c ON o.user_id = c.user_id GROUP BY 1 ORDER BY 1',
    );
    expect(joined.data).toEqual([
      { plan: "free", orders: 1 },
      { plan: "pro", orders: 2 },
    ]);
  });

  it("is never part of the events table, and is listed by kind", async () => {
    const p = await shopWithCustomers();
    const counted = await sql(p.query, "SELECT event_type, count(*) AS n FROM events GROUP BY 1");
    expect(counted.data).toEqual([{ event_type: "order", n: 3 }]);
    await publishOwnTable(p.id, "daily_orders", "gold", [{ name: "n", type: "BIGINT", data: [3n] }]);
    const res = await call("/v1/datasets", { token: p.adminKey });
    const { datasets } = (await res.json()) as {
      datasets: { name: string; kind: string; columns: { name: string }[] }[];
    };
    const byName = new Map(datasets.map((d) => [d.name, d]));
    expect(byName.get("order")?.kind).toBe("events");
    expect(byName.get("customers")?.kind).toBe("upload");
    expect(byName.get("customers")?.columns.map((c) => c.name)).toEqual([
      "user_id",
      "plan",
      "seats",
      "event_type",
      "ts",
    ]);
    expect(byName.get("daily_orders")?.kind).toBe("view");
    const view = await sql(p.query, "SELECT n FROM daily_orders");
    expect(view.data).toEqual([{ n: 3 }]);
  });
});

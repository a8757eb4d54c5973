// Views against a real `wrangler dev`: an analyst defines a daily revenue view over order.created, the
// jobs queue builds it, and it equals DuckDB's answer to the same SELECT over the lake's own files
// (downloaded through /v1/lake/files); after late events a refresh recomputes only the touched day.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./server";

const REVENUE_SQL =
  "SELECT date_trunc('day', ts) AS day, count(*) AS orders, sum(CAST(payload->>'$.amount' AS DOUBLE)) AS revenue " +
  'FROM "order.created" GROUP BY 1';

let server: DevServer;
let dir: string;
beforeAll(async () => {
  server = await startDevServer();
  dir = mkdtempSync(path.join(tmpdir(), "tarn-views-e2e-"));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${server.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** DuckDB's answer to the SELECT over the dataset's current files, as the API lists and serves them. */
async function duckdbOverLake(token: string, dataset: string, sql: string) {
  const { files } = (await (await server.api(`/v1/lake/files?dataset=${dataset}`, { token })).json()) as {
    files: { key: string }[];
  };
  const paths = [];
  for (const f of files) {
    const bytes = new Uint8Array(await (await server.api(`/v1/lake/files/${f.key}`, { token })).arrayBuffer());
    const file = path.join(dir, `${crypto.randomUUID()}.parquet`);
    writeFileSync(file, bytes);
    paths.push(`'${file}'`);
  }
  const instance = await DuckDBInstance.create(":memory:");
  const duck = await instance.connect();
  await duck.run("SET TimeZone = 'UTC'");
  await duck.run(`CREATE VIEW "${dataset}" AS SELECT * FROM read_parquet([${paths.join(", ")}])`);
  const rows = (await duck.runAndReadAll(`SELECT * FROM (${sql}) ORDER BY 1`)).getRowObjectsJS();
  duck.closeSync();
  instance.closeSync();
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        v instanceof Date ? v.toISOString() : typeof v === "bigint" ? Number(v) : v,
      ]),
    ),
  );
}

describe("materialized views under wrangler dev", () => {
  it("builds a daily revenue view equal to DuckDB over the lake's files, and refreshes after late events", async () => {
    const created = await server.api("/v1/projects", {
      method: "POST",
      token: server.adminKey,
      json: { name: "views-e2e" },
    });
    const { admin_key: admin } = (await created.json()) as { admin_key: string };
    const order = (day: number, hour: number, amount: number) => ({
      eventType: "order.created",
      timestamp: new Date(Date.UTC(2026, 10, 20 + day, hour)).toISOString(),
      userId: `u${hour}`,
      data: { payload: { amount } },
    });
    const sent = await server.api("/v1/events", {
      method: "POST",
      token: admin,
      json: [order(0, 9, 12.5), order(0, 10, 7.5), order(1, 3, 40), order(2, 23, 1)],
    });
    expect(sent.status).toBe(202);
    const count = async () => {
      const res = await server.api("/v1/query", {
        method: "POST",
        token: admin,
        json: { sql: 'SELECT count(*) AS n FROM "order.created"' },
      });
      return res.status === 200 ? ((await res.json()) as { data: { n: number }[] }).data[0]?.n : 0;
    };
    await until("the events to land", async () => ((await count()) === 4 ? true : undefined));

    const put = await server.api("/v1/views/daily_revenue", {
      method: "PUT",
      token: admin,
      json: { sql: REVENUE_SQL, refresh: "daily", mode: "incremental", time_column: "day" },
    });
    expect(put.status).toBe(201);
    const view = async () =>
      (await (await server.api("/v1/views/daily_revenue", { token: admin })).json()) as {
        last_run: { status: string; buckets: number; id: string } | null;
        runs: { id: string }[];
      };
    await until("the first build", async () => ((await view()).last_run?.status === "succeeded" ? true : undefined));
    const answer = async () =>
      (
        (await (
          await server.api("/v1/query", {
            method: "POST",
            token: admin,
            json: { sql: "SELECT * FROM daily_revenue ORDER BY day" },
          })
        ).json()) as { data: Record<string, unknown>[] }
      ).data;
    let materialized = await answer();
    expect(materialized).toEqual(await duckdbOverLake(admin, "order.created", REVENUE_SQL));
    expect(materialized).toHaveLength(3);

    // A late event into the first day, then a refresh: one day recomputed, still equal to DuckDB.
    expect((await server.api("/v1/events", { method: "POST", token: admin, json: [order(0, 1, 100)] })).status).toBe(
      202,
    );
    await until("the late event to land", async () => ((await count()) === 5 ? true : undefined));
    expect((await server.api("/v1/views/daily_revenue/refresh", { method: "POST", token: admin })).status).toBe(202);
    await until("the refresh", async () => {
      const v = await view();
      return v.runs.length === 2 && v.last_run?.status === "succeeded" ? true : undefined;
    });
    expect((await view()).last_run?.buckets).toBe(1);
    materialized = await answer();
    expect(materialized).toEqual(await duckdbOverLake(admin, "order.created", REVENUE_SQL));
    expect(materialized[0]).toMatchObject({ orders: 3, revenue: 120 });
    // The view's own files read in DuckDB give the same rows.
    expect(await duckdbOverLake(admin, "daily_revenue", "SELECT * FROM daily_revenue")).toEqual(materialized);
  });
});

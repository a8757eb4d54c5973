// Contracts end to end on a real `wrangler dev`: three contract versions land three generations of
// bronze files; DuckDB reading the downloaded files with union_by_name answers as /v1/query does.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbAnswer, expectSameRows, normalize } from "../node/query-fixtures";
import { type DevServer, startDevServer } from "./server";

let server: DevServer;
let dir = "";

beforeAll(async () => {
  server = await startDevServer();
  dir = await mkdtemp(path.join(tmpdir(), "tarn-e2e-contracts-"));
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const VERSIONS = [
  { type: "object", required: ["orderId"], properties: { orderId: { type: "string" }, amount: { type: "integer" } } },
  {
    type: "object",
    required: ["orderId"],
    properties: {
      orderId: { type: "string" },
      amount: { type: "integer" },
      channel: { type: "string" },
      placedAt: { type: "string", format: "date-time" },
    },
  },
  {
    type: "object",
    required: ["orderId"],
    properties: {
      orderId: { type: "string" },
      amount: { type: "number" },
      channel: { type: "string" },
      placedAt: { type: "string", format: "date-time" },
      gift: { type: "boolean" },
    },
  },
];

describe("contracts on wrangler dev", () => {
  it("evolves typed columns over three versions, as DuckDB reads the same files with union_by_name", async () => {
    const created = await server.api("/v1/projects", {
      method: "POST",
      token: server.adminKey,
      json: { name: "e2e-contracts" },
    });
    const { admin_key: admin } = (await created.json()) as { admin_key: string };
    let sent = 0;
    for (const [v, schema] of VERSIONS.entries()) {
      const put = await server.api("/v1/contracts/order.created", { method: "PUT", token: admin, json: { schema } });
      expect(put.status).toBe(201);
      const events = Array.from({ length: 30 }, (_, i) => ({
        eventType: "order.created",
        eventId: `v${v}-${i}`,
        timestamp: new Date(Date.UTC(2026, 10, 20, 10, v, i)).toISOString(),
        data: {
          payload: {
            orderId: `o-${v}-${i}`,
            amount: v === 2 ? i + 0.5 : i * 10,
            ...(v >= 1
              ? { channel: ["web", "app"][i % 2], placedAt: new Date(Date.UTC(2026, 10, 19, i)).toISOString() }
              : {}),
            ...(v === 2 ? { gift: i % 3 === 0 } : {}),
          },
        },
      }));
      const res = await server.api("/v1/events", { method: "POST", token: admin, json: events });
      expect(await res.json()).toMatchObject({ accepted: 30, rejected: 0 });
      sent += 30;
      // Let this version's events land before the next version is stored, so each generation has its files.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const q = await server.api("/v1/query", {
          method: "POST",
          token: admin,
          json: { sql: 'SELECT count(*) AS n FROM "order.created"' },
        });
        const n = q.status === 200 ? Number(((await q.json()) as { data: { n: number }[] }).data[0]?.n) : 0;
        if (n === sent) break;
        if (Date.now() > deadline) throw new Error(`only ${n} of ${sent} events landed`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    const { files } = (await (await server.api("/v1/lake/files?dataset=order.created", { token: admin })).json()) as {
      files: { key: string }[];
    };
    expect(files.length).toBeGreaterThanOrEqual(3);
    const paths: string[] = [];
    for (const [i, f] of files.entries()) {
      const res = await server.api(`/v1/lake/files/${f.key}`, { token: admin });
      const p = path.join(dir, `f${i}.parquet`);
      await writeFile(p, new Uint8Array(await res.arrayBuffer()));
      paths.push(p);
    }
    const instance = await DuckDBInstance.create(":memory:");
    const duck = await instance.connect();
    try {
      await duck.run("SET TimeZone = 'UTC'");
      await duck.run(
        `CREATE VIEW "order.created" AS SELECT * FROM read_parquet([${paths.map((p) => `'${p}'`).join(", ")}], union_by_name = true)`,
      );
      const queries = [
        'SELECT event_id, orderId, amount, channel, placedAt, gift FROM "order.created" ORDER BY event_id',
        'SELECT channel, count(*) AS n, sum(amount) AS total, count(gift) AS gifts FROM "order.created" GROUP BY channel ORDER BY channel NULLS FIRST',
        'SELECT count(*) AS n FROM "order.created" WHERE gift OR amount > 200',
      ];
      for (const sql of queries) {
        const expected = await duckdbAnswer(duck, sql);
        const res = await server.api("/v1/query", { method: "POST", token: admin, json: { sql } });
        const answer = (await res.json()) as {
          meta: { name: string; type: string }[];
          data: Record<string, unknown>[];
        };
        expect(
          answer.meta.map((m) => m.type),
          sql,
        ).toEqual(expected.types);
        const rows = answer.data.map((r) =>
          answer.meta.map((m) =>
            m.type === "TIMESTAMP" && typeof r[m.name] === "string"
              ? Date.parse(r[m.name] as string)
              : normalize(r[m.name]),
          ),
        );
        expectSameRows(rows, expected.rows, sql);
      }
      const datasets = (await (await server.api("/v1/datasets", { token: admin })).json()) as {
        datasets: { name: string; columns: { name: string; type: string }[] }[];
      };
      expect(datasets.datasets[0]?.columns.slice(-5)).toEqual([
        { name: "orderId", type: "VARCHAR" },
        { name: "amount", type: "DOUBLE" },
        { name: "channel", type: "VARCHAR" },
        { name: "placedAt", type: "TIMESTAMP" },
        { name: "gift", type: "BOOLEAN" },
      ]);
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  });
});

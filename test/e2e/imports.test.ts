// Database imports end to end: a real `wrangler dev` reads a real PostgreSQL (Debian's server, a
// fresh cluster from test/pg-server.ts) over workerd's TCP sockets. The imported table equals the
// source (checked against psql's own answer), and a wrong password saves nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgServer, startPostgres } from "../pg-server";
import { type DevServer, startDevServer } from "./server";

let server: DevServer;
let pg: PgServer;
let admin = "";

beforeAll(async () => {
  [pg, server] = await Promise.all([startPostgres(), startDevServer()]);
  pg.psql(`
    CREATE TABLE products (sku text PRIMARY KEY, title text, price numeric(8,2), stock int4, launched date, active boolean);
    INSERT INTO products
    SELECT 'sku-' || lpad(i::text, 5, '0'), 'Product ' || i, round((i * 0.99)::numeric, 2), i % 50,
           date '2025-01-01' + i, i % 4 <> 0
    FROM generate_series(1, 2500) AS i;
    ALTER TABLE products OWNER TO ${pg.user};
  `);
  const project = await server.api("/v1/projects", {
    method: "POST",
    token: server.adminKey,
    json: { name: "imports-e2e" },
  });
  admin = ((await project.json()) as { admin_key: string }).admin_key;
});

afterAll(async () => {
  pg?.stop();
  await server?.stop();
});

const url = (password: string) =>
  `postgresql://${pg.user}:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/${pg.database}`;

async function finished(id: string) {
  for (let i = 0; i < 600; i++) {
    const job = (await (await server.api(`/v1/jobs/${id}`, { token: admin })).json()) as {
      status: string;
      progress: number;
      error: string | null;
      result: Record<string, unknown> | null;
    };
    if (job.status === "succeeded" || job.status === "failed") return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the import did not finish");
}

describe("database imports through wrangler dev", () => {
  it("refuses a wrong password with the server's reason and saves nothing", async () => {
    const res = await server.api("/v1/connections", {
      method: "POST",
      token: admin,
      json: { name: "shop", kind: "postgres", url: url("not-the-password") },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(body.error.message).toMatch(/password authentication failed for user "tarn"/);
    const list = (await (await server.api("/v1/connections", { token: admin })).json()) as { connections: unknown[] };
    expect(list.connections).toEqual([]);
  });

  it("imports a table that then equals the source, typed from the source's columns", async () => {
    const created = await server.api("/v1/connections", {
      method: "POST",
      token: admin,
      json: { name: "shop", kind: "postgres", url: url(pg.password) },
    });
    expect(created.status).toBe(201);
    const connection = (await created.json()) as Record<string, unknown>;
    expect(JSON.stringify(connection)).not.toContain(pg.password);
    const listed = await (await server.api("/v1/connections", { token: admin })).text();
    expect(listed).not.toContain(pg.password);

    const started = await server.api("/v1/imports", {
      method: "POST",
      token: admin,
      json: { connection_id: connection.id, table: "products", name: "products" },
    });
    expect(started.status).toBe(202);
    const job = await finished(((await started.json()) as { job_id: string }).job_id);
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ status: "succeeded", progress: 100, result: { rows: 2500 } });

    const res = await server.api("/v1/query", {
      method: "POST",
      token: admin,
      json: { sql: "SELECT sku, title, price, stock, launched, active FROM products ORDER BY sku" },
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { meta: { type: string }[]; data: Record<string, unknown>[] };
    expect(answer.meta.map((m) => m.type)).toEqual(["VARCHAR", "VARCHAR", "DOUBLE", "BIGINT", "DATE", "BOOLEAN"]);
    // psql's own rows, one per line, fields split at "|".
    const want = pg
      .psql(
        "SELECT sku, title, price::float8, stock, to_char(launched, 'YYYY-MM-DD'), active FROM products ORDER BY sku",
      )
      .trim()
      .split("\n")
      .map((line) => {
        const [sku, title, price, stock, launched, active] = line.split("|");
        return {
          sku,
          title,
          price: Number(price),
          stock: Number(stock),
          launched: `${launched}T00:00:00.000Z`,
          active: active === "t",
        };
      });
    expect(want).toHaveLength(2500);
    expect(answer.data).toEqual(want);
  });
});

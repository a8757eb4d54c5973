// Database imports against a real PostgreSQL (Debian's server, started by pg-global-setup.ts): a
// connection is tried before it is saved and its password never comes back; an import lands the
// source's rows as a typed dataset, queryable through /v1/query like an upload.
import { env } from "cloudflare:workers";
import postgres from "postgres";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { runJob } from "../../queues/jobs-consumer";
import { newId } from "../../shared/ids";
import { call, createKey, createProject, expectEnvelope } from "./helpers";
import { settled, sql } from "./uploads-helpers";

const pg = inject("postgres");
if (pg.error) throw new Error(`the import tests need PostgreSQL (apt-get install -y postgresql): ${pg.error}`);
const url = (over: Partial<typeof pg> = {}) => {
  const a = { ...pg, ...over };
  return `postgres://${a.user}:${encodeURIComponent(a.password)}@${a.host}:${a.port}/${a.database}?sslmode=disable`;
};

/** The source, seen by the driver as the test's own client. */
const source = postgres({
  host: pg.host,
  port: pg.port,
  username: pg.user,
  password: pg.password,
  database: pg.database,
  max: 1,
  onnotice: () => undefined,
});

const ROWS = 4321;

beforeAll(async () => {
  await source.unsafe(`
    DROP TABLE IF EXISTS orders;
    CREATE TABLE orders (
      id int4 PRIMARY KEY,
      customer text NOT NULL,
      qty int8,
      amount numeric(10, 2),
      price float8,
      small int2,
      paid boolean,
      ordered_on date,
      ordered_at timestamptz,
      local_at timestamp,
      meta jsonb,
      tags text[],
      ref uuid,
      note varchar(40)
    );
    INSERT INTO orders
    SELECT i,
           'cust_' || (i % 37),
           CASE WHEN i % 11 = 0 THEN NULL ELSE i * 1000003::int8 END,
           round((i * 1.37)::numeric, 2),
           i / 8.0,
           (i % 300)::int2,
           i % 3 = 0,
           date '2026-01-01' + (i % 200),
           timestamptz '2026-03-01 00:00:00+00' + make_interval(secs => i * 61.25),
           timestamp '2026-02-01 12:00:00' + make_interval(mins => i),
           jsonb_build_object('n', i, 'even', i % 2 = 0),
           ARRAY['t' || (i % 4), 'x'],
           md5(i::text)::uuid,
           CASE WHEN i % 5 = 0 THEN NULL WHEN i % 7 = 0 THEN '' ELSE 'note "' || i || '", é' END
    FROM generate_series(1, ${ROWS}) AS i;
  `);
});

async function addConnection(token: string, name: string, u: string) {
  const res = await call("/v1/connections", { method: "POST", token, json: { name, kind: "postgres", url: u } });
  return { res, body: (await res.clone().json()) as Record<string, unknown> };
}

async function startImport(token: string, body: Record<string, unknown>) {
  const res = await call("/v1/imports", { method: "POST", token, json: body });
  return { res, body: (await res.clone().json()) as Record<string, unknown> };
}

async function connectionCount(projectId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM connections WHERE project_id = ?")
    .bind(projectId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("database connections", () => {
  it("tries the connection, saves it sealed, and never gives the password back", async () => {
    const p = await createProject("conn");
    const added = await addConnection(p.adminKey, "warehouse", url());
    expect(added.res.status).toBe(201);
    expect(added.body).toMatchObject({
      name: "warehouse",
      kind: "postgres",
      host: "127.0.0.1",
      port: pg.port,
      database: pg.database,
      user: pg.user,
    });
    expect(JSON.stringify(added.body)).not.toContain(pg.password);
    expect(added.body).not.toHaveProperty("url");

    const listed = await call("/v1/connections", { token: p.adminKey });
    expect(listed.status).toBe(200);
    const text = await listed.text();
    expect(JSON.parse(text).connections).toEqual([added.body]);
    expect(text).not.toContain(pg.password);

    // At rest the URL is ciphertext: neither the password nor the URL is in the row.
    const row = await env.DB.prepare("SELECT * FROM connections WHERE id = ?").bind(added.body.id).first();
    expect(JSON.stringify(row)).not.toContain(pg.password);
    expect(JSON.stringify(row)).not.toContain("postgres://");

    // A second connection of the same name is a conflict.
    expect((await addConnection(p.adminKey, "warehouse", url())).res.status).toBe(409);

    expect((await call(`/v1/connections/${added.body.id}`, { method: "DELETE", token: p.adminKey })).status).toBe(204);
    expect(await connectionCount(p.id)).toBe(0);
    expect((await call(`/v1/connections/${added.body.id}`, { method: "DELETE", token: p.adminKey })).status).toBe(404);
  });

  it("refuses a wrong password, port, database or host with the driver's reason, saving nothing", async () => {
    const p = await createProject("conn-bad");
    const cases: [string, string, RegExp][] = [
      ["password", url({ password: "wrong-password" }), /password authentication failed for user "tarn"/],
      ["database", url({ database: "no_such_db" }), /database "no_such_db" does not exist/],
      ["user", url({ user: "nobody" }), /authentication failed for user "nobody"/],
      ["port", url({ port: 1 }), /cannot connect to 127\.0\.0\.1:1\/tarn_src as tarn: .+/],
      [
        "host",
        url({ host: "no-such-host.invalid" }),
        /cannot connect to no-such-host\.invalid:\d+\/tarn_src as tarn: .+/,
      ],
    ];
    for (const [what, u, reason] of cases) {
      const { res } = await addConnection(p.adminKey, `bad_${what}`, u);
      expect(res.status, what).toBe(400);
      const error = await expectEnvelope(res);
      expect(error.code, what).toBe("VALIDATION_ERROR");
      expect(error.message, what).toMatch(reason);
      expect(error.message, what).not.toContain("wrong-password");
    }
    // A URL that is not a Postgres URL is refused before any connection is tried.
    const { res } = await addConnection(p.adminKey, "bad_url", "mysql://u:p@h/db");
    expect(res.status).toBe(400);
    expect((await expectEnvelope(res)).message).toMatch(/postgres:\/\//);
    // A Hyperdrive binding the Worker does not have.
    const hd = await addConnection(p.adminKey, "bad_hyperdrive", "hyperdrive://NO_SUCH_BINDING");
    expect(hd.res.status).toBe(400);
    expect((await expectEnvelope(hd.res)).message).toMatch(/no Hyperdrive binding named NO_SUCH_BINDING/);
    expect(await connectionCount(p.id)).toBe(0);
  });

  it("asks for TLS unless sslmode=disable: require refuses an untrusted certificate, prefer falls back to plain", async () => {
    // The test server offers TLS with a self-signed certificate, which workerd does not trust.
    const p = await createProject("conn-tls");
    const plain = url().replace("?sslmode=disable", "");
    const { res } = await addConnection(p.adminKey, "require", `${plain}?sslmode=require`);
    expect(res.status).toBe(400);
    expect((await expectEnvelope(res)).message).toMatch(/the TLS handshake failed/);
    expect((await addConnection(p.adminKey, "prefer", plain)).res.status).toBe(201);
    expect(await connectionCount(p.id)).toBe(1);
  });

  it("is for admins: a query-scoped key cannot add, list or import", async () => {
    const p = await createProject("conn-acl");
    const reader = await createKey(p.adminKey, ["query"]);
    expect((await addConnection(reader.key, "w", url())).res.status).toBe(403);
    expect((await call("/v1/connections", { token: reader.key })).status).toBe(403);
    expect((await startImport(reader.key, { connection_id: "x", table: "orders", name: "o" })).res.status).toBe(403);
    expect(await connectionCount(p.id)).toBe(0);
  });
});

type Row = Record<string, unknown>;

/** The source rows as the lake should hold them (what /v1/query answers: dates and timestamps as ISO). */
async function expectedOrders(): Promise<Row[]> {
  const rows = await source.unsafe(`
    SELECT id, customer, qty::text AS qty, amount::float8 AS amount, price, small, paid,
           to_char(ordered_on, 'YYYY-MM-DD') AS ordered_on,
           (extract(epoch FROM ordered_at) * 1000)::int8::text AS ordered_at_ms,
           (extract(epoch FROM local_at) * 1000)::int8::text AS local_at_ms,
           meta::text AS meta, array_to_json(tags)::text AS tags, ref::text AS ref, note
    FROM orders ORDER BY id`);
  return rows.map((r) => ({
    id: r.id,
    customer: r.customer,
    qty: r.qty === null ? null : Number(r.qty),
    amount: r.amount,
    price: r.price,
    small: r.small,
    paid: r.paid,
    ordered_on: `${r.ordered_on}T00:00:00.000Z`,
    ordered_at: new Date(Number(r.ordered_at_ms)).toISOString(),
    local_at: new Date(Number(r.local_at_ms)).toISOString(),
    meta: r.meta,
    tags: r.tags,
    ref: r.ref,
    note: r.note,
  }));
}

/** JSON text compared as values (jsonb's text and JSON.stringify space differently). */
function normalised(rows: Row[]): Row[] {
  return rows.map((r) => ({ ...r, meta: JSON.parse(r.meta as string), tags: JSON.parse(r.tags as string) }));
}

describe("imports", () => {
  let p: { id: string; adminKey: string };
  let connectionId: string;

  beforeAll(async () => {
    p = await createProject("imp");
    const added = await addConnection(p.adminKey, "src", url());
    expect(added.res.status).toBe(201);
    connectionId = added.body.id as string;
  });

  it("imports a table: every row, with the source's column types, queryable like an upload", async () => {
    const started = await startImport(p.adminKey, { connection_id: connectionId, table: "orders", name: "orders" });
    expect(started.res.status).toBe(202);
    expect(started.body).toMatchObject({ dataset: "orders", status: "queued" });
    const job = await settled(p.adminKey, started.body.job_id as string, 60_000);
    expect(job.error).toBeNull();
    expect(job.status).toBe("succeeded");
    expect(job.progress).toBe(100);
    expect(job.result).toMatchObject({ dataset: "orders", rows: ROWS, files: 1 });
    expect(job.result?.columns).toEqual([
      { name: "id", type: "BIGINT" },
      { name: "customer", type: "VARCHAR" },
      { name: "qty", type: "BIGINT" },
      { name: "amount", type: "DOUBLE" },
      { name: "price", type: "DOUBLE" },
      { name: "small", type: "BIGINT" },
      { name: "paid", type: "BOOLEAN" },
      { name: "ordered_on", type: "DATE" },
      { name: "ordered_at", type: "TIMESTAMP" },
      { name: "local_at", type: "TIMESTAMP" },
      { name: "meta", type: "VARCHAR" },
      { name: "tags", type: "VARCHAR" },
      { name: "ref", type: "VARCHAR" },
      { name: "note", type: "VARCHAR" },
    ]);

    const all = await sql(p.adminKey, "SELECT * FROM orders ORDER BY id");
    expect(all.status).toBe(200);
    expect(all.meta.map((m) => `${m.name}:${m.type}`)).toEqual([
      "id:BIGINT",
      "customer:VARCHAR",
      "qty:BIGINT",
      "amount:DOUBLE",
      "price:DOUBLE",
      "small:BIGINT",
      "paid:BOOLEAN",
      "ordered_on:DATE",
      "ordered_at:TIMESTAMP",
      "local_at:TIMESTAMP",
      "meta:VARCHAR",
      "tags:VARCHAR",
      "ref:VARCHAR",
      "note:VARCHAR",
    ]);
    expect(all.data).toHaveLength(ROWS);
    expect(normalised(all.data)).toEqual(normalised(await expectedOrders()));
    // Empty strings stay empty strings (not NULL, as a CSV's empty field would be).
    expect(all.data.filter((r) => r.note === "").length).toBe(
      Number((await source`SELECT count(*) AS n FROM orders WHERE note = ''`)[0]?.n),
    );

    // Listed as an uploaded dataset, with a stored profile.
    const catalog = (await (await call("/v1/datasets", { token: p.adminKey })).json()) as {
      datasets: { name: string; kind: string }[];
    };
    expect(catalog.datasets.find((d) => d.name === "orders")?.kind).toBe("upload");
    const profile = await call("/v1/datasets/orders/profile", { token: p.adminKey });
    expect(profile.status).toBe(200);
    expect(((await profile.json()) as { row_count: number }).row_count).toBe(ROWS);
  });

  it("imports a query's result, and replaces or appends", async () => {
    const q = "SELECT customer, sum(qty) AS total, count(*) AS n FROM orders WHERE qty IS NOT NULL GROUP BY customer";
    const first = await startImport(p.adminKey, { connection_id: connectionId, query: q, name: "by_customer" });
    expect(first.res.status).toBe(202);
    expect((await settled(p.adminKey, first.body.job_id as string, 60_000)).status).toBe("succeeded");
    const got = await sql(p.adminKey, "SELECT customer, total, n FROM by_customer ORDER BY customer");
    const want = await source.unsafe(
      `SELECT customer, total::float8 AS total, n::int8::text AS n FROM (${q}) s ORDER BY customer`,
    );
    // sum(int8) is numeric in PostgreSQL: a DOUBLE here; count(*) is int8: BIGINT.
    expect(got.meta.map((m) => m.type)).toEqual(["VARCHAR", "DOUBLE", "BIGINT"]);
    expect(got.data).toEqual(want.map((r) => ({ customer: r.customer, total: r.total, n: Number(r.n) })));

    const again = await startImport(p.adminKey, {
      connection_id: connectionId,
      query: `${q};`,
      name: "by_customer",
      mode: "append",
    });
    expect((await settled(p.adminKey, again.body.job_id as string, 60_000)).status).toBe("succeeded");
    const count = await sql(p.adminKey, "SELECT count(*) AS c FROM by_customer");
    expect(count.data[0]?.c).toBe(2 * want.length);

    const replaced = await startImport(p.adminKey, {
      connection_id: connectionId,
      query: "SELECT 'only' AS customer, 1.5::float8 AS total, 7::int8 AS n",
      name: "by_customer",
    });
    expect((await settled(p.adminKey, replaced.body.job_id as string, 60_000)).status).toBe("succeeded");
    expect((await sql(p.adminKey, "SELECT * FROM by_customer")).data).toEqual([{ customer: "only", total: 1.5, n: 7 }]);
  });

  it("writes bounded files and, crashed midway, publishes nothing until a retry imports it all", async () => {
    const jobId = newId("job");
    await env.DB.prepare("INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'import', ?, ?, 'queued')")
      .bind(
        jobId,
        p.id,
        JSON.stringify({ connection_id: connectionId, table: "orders", dataset: "ledger", mode: "replace" }),
      )
      .run();
    const sizes = { fileRows: 1000, rowGroupRows: 256 };
    const crash = (index: number) => {
      if (index === 2) throw new Error("the isolate died");
    };
    expect(await runJob(env, jobId, { upload: { ...sizes, afterFile: crash } })).toBe("retry");
    expect((await sql(p.adminKey, "SELECT count(*) AS c FROM ledger")).status).toBe(400);
    expect((await env.LAKE.list({ prefix: `lake/${p.id}/uploads/ledger/` })).objects).toHaveLength(0);

    expect(await runJob(env, jobId, { upload: sizes })).toBe("done");
    const job = (await (await call(`/v1/jobs/${jobId}`, { token: p.adminKey })).json()) as {
      status: string;
      progress: number;
      result: { rows: number; files: number };
    };
    expect(job).toMatchObject({
      status: "succeeded",
      progress: 100,
      result: { rows: ROWS, files: Math.ceil(ROWS / 1000) },
    });
    const got = await sql(p.adminKey, "SELECT id, qty, ordered_at FROM ledger ORDER BY id");
    const want = await source`SELECT id, qty::text AS qty, ordered_at FROM orders ORDER BY id`;
    expect(got.data).toEqual(
      want.map((r) => ({
        id: r.id,
        qty: r.qty === null ? null : Number(r.qty),
        ordered_at: (r.ordered_at as Date).toISOString(),
      })),
    );
    // Run again (a redelivered message after success): nothing is imported twice.
    await env.DB.prepare("UPDATE jobs SET status = 'queued' WHERE id = ?").bind(jobId).run();
    expect(await runJob(env, jobId, { upload: sizes })).toBe("done");
    expect((await sql(p.adminKey, "SELECT count(*) AS c FROM ledger")).data[0]?.c).toBe(ROWS);
  });

  it("refuses a missing table, a bad query or unnamed columns up front (400), naming the reason", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ table: "no_such_table" }, /relation "no_such_table" does not exist/],
      [{ table: "public.nope" }, /relation "public.nope" does not exist/],
      [{ query: "SELEC id FROM orders" }, /syntax error at or near "SELEC"/],
      [{ query: "SELECT id, id FROM orders" }, /column "id" appears twice/],
      [{ query: "SELECT id + 1 FROM orders" }, /has no name/],
      [{ query: "SELECT id FROM orders WHERE id = $1" }, /takes 1 parameter/],
      [{ table: "orders", query: "SELECT 1 AS x" }, /exactly one of table and query/],
    ];
    for (const [body, reason] of cases) {
      const { res } = await startImport(p.adminKey, { connection_id: connectionId, name: "bad", ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await expectEnvelope(res)).message, JSON.stringify(body)).toMatch(reason);
    }
    const missing = await startImport(p.adminKey, { connection_id: "con_nope", table: "orders", name: "bad" });
    expect(missing.res.status).toBe(404);
    expect((await sql(p.adminKey, "SELECT count(*) AS c FROM bad")).status).toBe(400);
  });

  it("fails the job with the reason when the source fails midway, and publishes nothing", async () => {
    // Division by zero at id = 4000: the first batches were read before the server gave up.
    const started = await startImport(p.adminKey, {
      connection_id: connectionId,
      query: "SELECT id, 100 / (4000 - id) AS x FROM orders ORDER BY id",
      name: "halfway",
    });
    expect(started.res.status).toBe(202);
    const job = await settled(p.adminKey, started.body.job_id as string, 60_000);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/division by zero/);
    expect((await sql(p.adminKey, "SELECT count(*) AS c FROM halfway")).status).toBe(400);
    const left = await env.LAKE.list({ prefix: `lake/${p.id}/uploads/halfway/` });
    expect(left.objects).toHaveLength(0);
  });

  it("never writes to the source: a statement that changes data fails in the read-only transaction", async () => {
    const before = Number((await source`SELECT count(*) AS n FROM orders`)[0]?.n);
    const started = await startImport(p.adminKey, {
      connection_id: connectionId,
      query: "DELETE FROM orders WHERE id < 10 RETURNING id",
      name: "deleted",
    });
    if (started.res.status === 202) {
      const job = await settled(p.adminKey, started.body.job_id as string, 60_000);
      expect(job.status).toBe("failed");
      expect(job.error).toMatch(/read-only transaction/);
    } else {
      expect(started.res.status).toBe(400);
      expect((await expectEnvelope(started.res)).message).toMatch(/read-only transaction/);
    }
    expect(Number((await source`SELECT count(*) AS n FROM orders`)[0]?.n)).toBe(before);
  });

  it("refuses an import into an event type's name and after its connection is deleted", async () => {
    const events = await startImport(p.adminKey, { connection_id: connectionId, table: "orders", name: "events" });
    expect(events.res.status).toBe(400);
    const other = await addConnection(p.adminKey, "gone", url());
    await call(`/v1/connections/${other.body.id}`, { method: "DELETE", token: p.adminKey });
    const after = await startImport(p.adminKey, { connection_id: other.body.id, table: "orders", name: "x" });
    expect(after.res.status).toBe(404);
  });
});

// Datasets from files: every format becomes a typed SQL table through the conversion job.

import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { call, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";
import { gzip, sql, uploadAndConvert, uploadFile } from "./uploads-helpers";

const CUSTOMERS = [
  "user_id,plan,seats,score,active,joined,last_seen,note",
  'ann,pro,5,4.5,true,2026-01-03,2026-11-20T09:15:00Z,"likes ""quotes"", commas"',
  "bob,free,1,3,false,2026-02-10,2026-11-21 10:00:00,",
  "cy,pro,12,,TRUE,2026-03-01,2026-11-22T11:30:00Z,multi",
].join("\r\n");

describe("uploads", () => {
  it("answers 202 with a job, converts a CSV with inferred types, and queries it", async () => {
    const p = await createProject("up");
    const sent = await uploadFile(p.adminKey, "name=customers&format=csv", CUSTOMERS, { "Content-Type": "text/csv" });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ dataset: "customers", status: "queued" });
    expect(typeof sent.body.job_id).toBe("string");
    const job = await uploadAndConvert(p.adminKey, "name=customers&format=csv", CUSTOMERS);
    expect(job.status).toBe("succeeded");
    expect(job.progress).toBe(100);
    expect(job.result?.columns).toEqual([
      { name: "user_id", type: "VARCHAR" },
      { name: "plan", type: "VARCHAR" },
      { name: "seats", type: "BIGINT" },
      { name: "score", type: "DOUBLE" },
      { name: "active", type: "BOOLEAN" },
      { name: "joined", type: "DATE" },
      { name: "last_seen", type: "TIMESTAMP" },
      { name: "note", type: "VARCHAR" },
    ]);
    const all = await sql(p.adminKey, "SELECT * FROM customers ORDER BY user_id");
    expect(all.status).toBe(200);
    expect(all.meta.map((m) => m.type)).toEqual([
      "VARCHAR",
      "VARCHAR",
      "BIGINT",
      "DOUBLE",
      "BOOLEAN",
      "DATE",
      "TIMESTAMP",
      "VARCHAR",
    ]);
    expect(all.data).toEqual([
      {
        user_id: "ann",
        plan: "pro",
        seats: 5,
        score: 4.5,
        active: true,
        joined: "2026-01-03T00:00:00.000Z",
        last_seen: "2026-11-20T09:15:00.000Z",
        note: 'likes "quotes", commas',
      },
      {
        user_id: "bob",
        plan: "free",
        seats: 1,
        score: 3,
        active: false,
        joined: "2026-02-10T00:00:00.000Z",
        last_seen: "2026-11-21T10:00:00.000Z",
        note: null,
      },
      {
        user_id: "cy",
        plan: "pro",
        seats: 12,
        score: null,
        active: true,
        joined: "2026-03-01T00:00:00.000Z",
        last_seen: "2026-11-22T11:30:00.000Z",
        note: "multi",
      },
    ]);
  });

  it("joins an uploaded table with events and lists it as an upload", async () => {
    const p = await createProject("upj");
    const T = Date.UTC(2026, 10, 20, 9);
    await deliver([
      message(p.id, [
        queued(p.id, "o1", { event_type: "order", user_id: "ann", ts: T }),
        queued(p.id, "o2", { event_type: "order", user_id: "ann", ts: T + 1000 }),
        queued(p.id, "o3", { event_type: "order", user_id: "bob", ts: T + 2000 }),
      ]),
    ]);
    await uploadAndConvert(p.adminKey, "name=customers&format=csv", CUSTOMERS);
    const joined = await sql(
      p.adminKey,
      'SELECT c.plan, count(*) AS orders FROM "order" o JOIN customers c ON o.user_id = c.user_id GROUP BY 1 ORDER BY 1',
    );
    expect(joined.data).toEqual([
      { plan: "free", orders: 1 },
      { plan: "pro", orders: 2 },
    ]);
    const listed = (await (await call("/v1/datasets", { token: p.adminKey })).json()) as {
      datasets: { name: string; kind: string; rows: number }[];
    };
    expect(listed.datasets.find((d) => d.name === "customers")).toMatchObject({ kind: "upload", rows: 3 });
    const catalog = (await (await call("/v1/catalog", { token: p.adminKey })).json()) as {
      datasets: { name: string; kind: string }[];
    };
    expect(catalog.datasets.find((d) => d.name === "customers")?.kind).toBe("upload");
  });

  it("reads NDJSON sent gzip-encoded, keeping nested values as JSON text", async () => {
    const p = await createProject("upn");
    const text = [
      '{"sku":"a1","price":9.5,"tags":["x","y"],"dims":{"w":2}}',
      "",
      '{"sku":"b2","price":12,"stock":4}',
    ].join("\n");
    const job = await uploadAndConvert(p.adminKey, "name=products&format=ndjson", await gzip(text), {
      "Content-Encoding": "gzip",
    });
    expect(job.status).toBe("succeeded");
    const rows = await sql(p.adminKey, "SELECT sku, price, tags, dims, stock FROM products ORDER BY sku");
    expect(rows.data).toEqual([
      { sku: "a1", price: 9.5, tags: '["x","y"]', dims: '{"w":2}', stock: null },
      { sku: "b2", price: 12, tags: null, dims: null, stock: 4 },
    ]);
  });

  it("reads a JSON array and a gzip file sent without an encoding header", async () => {
    const p = await createProject("upa");
    const text = JSON.stringify([
      { id: 1, city: "Oslo" },
      { id: 2, city: "Lima" },
    ]);
    const job = await uploadAndConvert(p.adminKey, "name=cities", await gzip(text), {
      "Content-Type": "application/json",
    });
    expect(job.status).toBe("succeeded");
    expect((await sql(p.adminKey, "SELECT sum(id) AS s, count(*) AS n FROM cities")).data).toEqual([{ s: 3, n: 2 }]);
  });

  it("reads Parquet", async () => {
    const p = await createProject("upq");
    const file = parquetWriteBuffer({
      columnData: [
        { name: "id", data: [1n, 2n, 3n], type: "INT64" },
        { name: "name", data: ["a", "b", null], type: "STRING" },
      ],
    });
    const job = await uploadAndConvert(p.adminKey, "name=things&format=parquet", file);
    expect(job.status).toBe("succeeded");
    expect((await sql(p.adminKey, "SELECT id, name FROM things ORDER BY id")).data).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
      { id: 3, name: null },
    ]);
  });

  it("takes the file from a multipart/form-data field", async () => {
    const p = await createProject("upf");
    const form = new FormData();
    form.set("source_type", "csv");
    form.set("file", new File(["a;b\n1;x\n2;y\n"], "data.txt"));
    const job = await uploadAndConvert(p.adminKey, "name=semi", form);
    expect(job.status).toBe("succeeded");
    expect((await sql(p.adminKey, "SELECT a, b FROM semi ORDER BY a")).data).toEqual([
      { a: 1, b: "x" },
      { a: 2, b: "y" },
    ]);
  });

  it("replaces a dataset by default and appends when asked", async () => {
    const p = await createProject("upr");
    await uploadAndConvert(p.adminKey, "name=t&format=csv", "k,v\n1,a\n2,b\n");
    await uploadAndConvert(p.adminKey, "name=t&format=csv&mode=append", "k,v\n3,c\n");
    expect((await sql(p.adminKey, "SELECT count(*) AS n, sum(k) AS s FROM t")).data).toEqual([{ n: 3, s: 6 }]);
    await uploadAndConvert(p.adminKey, "name=t&format=csv", "k,v\n10,z\n");
    expect((await sql(p.adminKey, "SELECT count(*) AS n, sum(k) AS s FROM t")).data).toEqual([{ n: 1, s: 10 }]);
  });

  it("reports a column that mixes types as VARCHAR", async () => {
    const p = await createProject("upm");
    const job = await uploadAndConvert(p.adminKey, "name=mixed&format=csv", "code\n1\ntrue\n2026-01-01\n");
    expect(job.result?.columns).toEqual([{ name: "code", type: "VARCHAR" }]);
    expect(job.result?.type_mismatches).toEqual([{ column: "code", kinds: ["integer", "boolean", "date"] }]);
  });

  it("infers again from every record when a value past the first rows does not fit", async () => {
    const p = await createProject("ups");
    const rows = Array.from({ length: 25_000 }, (_, i) => `${i},${i % 7}`);
    rows.push("n/a,3");
    const job = await uploadAndConvert(p.adminKey, "name=late&format=csv", `id,k\n${rows.join("\n")}\n`);
    expect(job.status).toBe("succeeded");
    expect(job.result?.columns).toEqual([
      { name: "id", type: "VARCHAR" },
      { name: "k", type: "BIGINT" },
    ]);
    expect(job.result?.type_mismatches).toEqual([{ column: "id", kinds: ["integer", "text"] }]);
    expect((await sql(p.adminKey, "SELECT count(*) AS n, sum(k) AS s FROM late")).data).toEqual([
      { n: 25_001, s: rows.reduce((t, r) => t + Number(r.split(",")[1]), 0) },
    ]);
  });

  it("keeps the replaced version for time travel and records the upload in lineage", async () => {
    const p = await createProject("upt");
    const first = await uploadAndConvert(p.adminKey, "name=prices&format=csv", "sku,price\na,1\nb,2\n");
    await uploadAndConvert(p.adminKey, "name=prices&format=csv", "sku,price\na,10\n");
    const now = await call("/v1/query", {
      method: "POST",
      token: p.adminKey,
      json: { sql: "SELECT sum(price) AS s FROM prices" },
    });
    expect(((await now.json()) as { data: unknown[] }).data).toEqual([{ s: 10 }]);
    const then = await call("/v1/query", {
      method: "POST",
      token: p.adminKey,
      json: { sql: "SELECT sum(price) AS s FROM prices", snapshot: first.result?.snapshot },
    });
    expect(((await then.json()) as { data: unknown[] }).data).toEqual([{ s: 3 }]);
    const lineage = (await (await call("/v1/lineage?dataset=prices", { token: p.adminKey })).json()) as {
      events: { job: { name: string }; eventType: string }[];
    };
    expect(lineage.events.some((e) => e.job.name.includes("upload") && e.eventType === "COMPLETE")).toBe(true);
  });
});

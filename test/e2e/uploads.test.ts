// Datasets from files end to end against a real `wrangler dev`: every format and the multipart
// paths, progress on the live socket, SQL and a join with events, the profile, and expectations
// whose failure reaches a real local webhook receiver with type "quality".
import { createServer, type Server } from "node:http";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./server";

let server: DevServer;
let hook: Server;
let hookUrl = "";
const received: { body: string }[] = [];

beforeAll(async () => {
  server = await startDevServer();
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      received.push({ body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const addr = hook.address();
  hookUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/hook`;
});
afterAll(async () => {
  await server?.stop();
  await new Promise((r) => hook?.close(r));
});

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function upload(token: string, query: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/v1/uploads?${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, ...headers },
    body,
  });
  const answer = await json<{ job_id: string; dataset: string; status: string }>(res, 202);
  return answer;
}

interface Job {
  status: string;
  progress: number;
  error: string | null;
  result: Record<string, unknown> | null;
}

async function finished(token: string, id: string): Promise<Job> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await json<Job>(await server.api(`/v1/jobs/${id}`, { token }));
    if (job.status === "succeeded" || job.status === "failed") return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sql(token: string, text: string) {
  return json<{ data: Record<string, unknown>[] }>(
    await server.api("/v1/query", { method: "POST", token, json: { sql: text } }),
  );
}

describe("uploads end to end", () => {
  it("uploads a CSV, shows progress on the socket, queries and joins it, profiles it, and alerts on expectations", async () => {
    const { admin_key: admin } = await json<{ admin_key: string }>(
      await server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: "uploads-e2e" } }),
      201,
    );
    await json(
      await server.api("/v1/alerts", {
        method: "POST",
        token: admin,
        json: {
          name: "any",
          metric: "events",
          window: "1m",
          value: "count",
          condition: { kind: "threshold", op: ">=", value: 1_000_000 },
          webhook_url: hookUrl,
        },
      }),
      201,
    );
    await json(
      await server.api("/v1/datasets/customers/expectations", {
        method: "PUT",
        token: admin,
        json: { expectations: [{ id: "seats", type: "between", column: "seats", min: 0, max: 10 }] },
      }),
    );
    const frames: { type: string; job?: { id: string; status: string; progress: number } }[] = [];
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/live?token=${admin}`);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", reject, { once: true });
    });
    ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data))));
    ws.send(JSON.stringify({ action: "subscribe", stream: "jobs" }));
    const deadline = Date.now() + 10_000;
    while (!frames.some((f) => f.type === "subscribed") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));

    const ingest = await server.api("/v1/events", {
      method: "POST",
      token: admin,
      json: [
        { eventType: "order", userId: "ann" },
        { eventType: "order", userId: "ann" },
        { eventType: "order", userId: "bob" },
      ],
    });
    expect(ingest.status).toBe(202);

    const csv = "user_id,plan,seats\nann,pro,5\nbob,free,1\ncy,pro,12\n";
    const sent = await upload(admin, "name=customers&format=csv", csv, { "Content-Type": "text/csv" });
    const job = await finished(admin, sent.job_id);
    expect(job.status).toBe("succeeded");
    const mine = () => frames.filter((f) => f.type === "job" && f.job?.id === sent.job_id);
    const until = Date.now() + 5000;
    while (!mine().some((f) => f.job?.status === "succeeded") && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(mine().map((f) => f.job?.status)).toContain("running");
    expect(mine().at(-1)).toMatchObject({ job: { status: "succeeded", progress: 100 } });
    ws.close();

    expect((await sql(admin, "SELECT sum(seats) AS s FROM customers")).data).toEqual([{ s: 18 }]);
    const landed = Date.now() + 20_000;
    let joined: Record<string, unknown>[] = [];
    while (Date.now() < landed) {
      joined = (
        await sql(
          admin,
          'SELECT c.plan, count(*) AS n FROM "order" o JOIN customers c ON o.user_id = c.user_id GROUP BY 1 ORDER BY 1',
        )
      ).data;
      if (joined.length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(joined).toEqual([
      { plan: "free", n: 1 },
      { plan: "pro", n: 2 },
    ]);

    const profile = await json<{ row_count: number; quality_score: number }>(
      await server.api("/v1/datasets/customers/profile", { token: admin }),
    );
    expect(profile.row_count).toBe(3);
    expect(profile.quality_score).toBeGreaterThan(0);

    const alerted = Date.now() + 20_000;
    while (!received.some((r) => r.body.includes('"quality"')) && Date.now() < alerted)
      await new Promise((r) => setTimeout(r, 100));
    const quality = JSON.parse(received.find((r) => r.body.includes('"quality"'))?.body ?? "{}");
    expect(quality).toMatchObject({
      type: "quality",
      dataset: "customers",
      failed: [{ id: "seats", failing_rows: 1 }],
    });
  });

  it("converts every format and both multipart paths", async () => {
    const { admin_key: admin } = await json<{ admin_key: string }>(
      await server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: "formats-e2e" } }),
      201,
    );
    const ndjson = gzipSync('{"id":1,"tags":["a"]}\n{"id":2,"tags":[]}\n');
    const parquet = parquetWriteBuffer({ columnData: [{ name: "id", data: [1n, 2n], type: "INT64" }] });
    const form = new FormData();
    form.set("file", new Blob(["id\n1\n2\n"], { type: "text/csv" }), "ids.csv");
    const jobs = [
      await upload(admin, "name=a_ndjson&format=ndjson", ndjson, { "Content-Encoding": "gzip" }),
      await upload(admin, "name=a_json", JSON.stringify([{ id: 1 }, { id: 2 }]), {
        "Content-Type": "application/json",
      }),
      await upload(admin, "name=a_parquet&format=parquet", parquet),
      await upload(admin, "name=a_form", form),
    ];
    for (const j of jobs) expect((await finished(admin, j.job_id)).status).toBe("succeeded");
    for (const name of ["a_ndjson", "a_json", "a_parquet", "a_form"]) {
      expect((await sql(admin, `SELECT sum(id) AS s FROM ${name}`)).data).toEqual([{ s: 3 }]);
    }

    const start = await json<{ upload_id: string }>(
      await server.api("/v1/uploads/multipart", {
        method: "POST",
        token: admin,
        json: { name: "parts", format: "csv" },
      }),
      201,
    );
    const line = "7,seven\n";
    const rows = Math.ceil((5 * 1024 * 1024) / line.length);
    const parts = [`n,s\n${line.repeat(rows)}`, line.repeat(3)];
    for (const [i, body] of parts.entries()) {
      const res = await fetch(`${server.url}/v1/uploads/multipart/${start.upload_id}/parts/${i + 1}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${admin}` },
        body,
      });
      await json(res);
    }
    const done = await json<{ job_id: string }>(
      await server.api(`/v1/uploads/multipart/${start.upload_id}/complete`, { method: "POST", token: admin }),
      202,
    );
    expect((await finished(admin, done.job_id)).status).toBe("succeeded");
    expect((await sql(admin, "SELECT count(*) AS n, sum(n) AS s FROM parts")).data).toEqual([
      { n: rows + 3, s: 7 * (rows + 3) },
    ]);
  });
});

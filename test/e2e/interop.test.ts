// The real Segment and RudderStack Node SDKs, unchanged, send to a real `wrangler dev` through a
// faulty network hop (a local HTTP proxy): a 503 before Tarn saw the request, a 503 and a 429 with
// Retry-After after Tarn took it. The SDKs retry; every event lands exactly once (SQL over the lake).
// Then GET /metrics, scraped with METRICS_TOKEN after that traffic, passes `promtool check metrics`.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { Analytics as SegmentAnalytics } from "@segment/analytics-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promtoolCheck } from "../promtool";
import { type DevServer, startDevServer } from "./server";

const LAND_TIMEOUT_MS = 60_000;
const METRICS_TOKEN = "e2e-metrics-token-0123456789";

let server: DevServer;
let proxy: FaultProxy;

beforeAll(async () => {
  server = await startDevServer(["--var", `METRICS_TOKEN:${METRICS_TOKEN}`]);
  proxy = await startFaultProxy(server.url);
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

// ---------------------------------------------------------------------------------------------
// The faulty hop

/** What the hop does with the next request: pass it, drop it with a 503, or forward it and lose the answer. */
type Fault = "pass" | "503-before" | "503-after" | "429-after";

interface Seen {
  at: number;
  path: string;
  fault: Fault;
  headers: IncomingMessage["headers"];
  /** The messageIds of the batch, to tell a retry from the next batch. */
  ids: string[];
}

interface FaultProxy {
  url: string;
  /** Faults for the next requests, in order; requests beyond them pass. */
  plan: (faults: Fault[]) => void;
  seen: Seen[];
  close: () => Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  let faults: Fault[] = [];
  const seen: Seen[] = [];
  const srv: Server = createServer(async (req, res) => {
    const body = await readAll(req);
    const fault = faults.shift() ?? "pass";
    const decoded = req.headers["content-encoding"] === "gzip" ? gunzipSync(body).toString() : body.toString();
    const ids = (JSON.parse(decoded) as { batch: { messageId: string }[] }).batch.map((m) => m.messageId);
    seen.push({ at: Date.now(), path: req.url ?? "", fault, headers: req.headers, ids });
    if (fault === "503-before") {
      res.writeHead(503, { "Retry-After": "1", "Content-Type": "application/json" }).end('{"error":"upstream down"}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "content-length", "connection"].includes(k)) headers[k] = v;
    }
    const answer = await fetch(`${upstream}${req.url}`, { method: req.method, headers, body });
    const text = await answer.text();
    if (fault === "503-after") {
      res.writeHead(503, { "Content-Type": "application/json" }).end('{"error":"answer lost"}');
    } else if (fault === "429-after") {
      res.writeHead(429, { "Retry-After": "1", "Content-Type": "application/json" }).end('{"error":"slow down"}');
    } else {
      res.writeHead(answer.status, { "Content-Type": answer.headers.get("Content-Type") ?? "application/json" });
      res.end(text);
    }
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    plan: (f) => {
      faults = [...f];
    },
    seen,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Tarn helpers

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function newProject(name: string) {
  const { admin_key } = await json<{ admin_key: string }>(
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
  return { admin: admin_key, ingest: await key("ingest"), query: await key("query") };
}

async function sql<T>(queryKey: string, text: string): Promise<T[]> {
  const res = await server.api("/v1/query", { method: "POST", token: queryKey, json: { sql: text } });
  return (await json<{ data: T[] }>(res)).data;
}

interface Counts {
  event_type: string;
  n: number;
  ids: number;
}

/** Rows and distinct event ids per event type, once the count has reached `total` and stayed there. */
async function landed(queryKey: string, total: number): Promise<Counts[]> {
  const deadline = Date.now() + LAND_TIMEOUT_MS;
  const query =
    "SELECT event_type, count(*) AS n, count(DISTINCT event_id) AS ids FROM events GROUP BY event_type ORDER BY event_type";
  for (;;) {
    const rows = await sql<Counts>(queryKey, query).catch(() => [] as Counts[]);
    const n = rows.reduce((a, r) => a + Number(r.n), 0);
    if (n >= total || Date.now() > deadline) {
      // A second look after the queue's batch timeout: a duplicate would show up as extra rows.
      await new Promise((r) => setTimeout(r, 1500));
      return (await sql<Counts>(queryKey, query)).map((r) => ({ ...r, n: Number(r.n), ids: Number(r.ids) }));
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ---------------------------------------------------------------------------------------------

describe("Segment SDKs against wrangler dev", () => {
  it("@segment/analytics-node lands every event exactly once through a 503 and a 429 with Retry-After", async () => {
    const project = await newProject("segment-sdk");
    const analytics = new SegmentAnalytics({
      writeKey: project.ingest,
      host: proxy.url,
      flushAt: 100,
      flushInterval: 60_000,
      maxRetries: 5,
    });
    const sent = proxy.seen.length;
    // First attempt never reaches Tarn; the second is taken but its answer is lost; the third is
    // taken and answered 429 Retry-After: 1; the fourth is answered by Tarn.
    proxy.plan(["503-before", "503-after", "429-after"]);
    for (let i = 0; i < 40; i++) {
      analytics.track({ userId: `u${i % 7}`, event: "Order Completed", properties: { total: i, currency: "EUR" } });
    }
    analytics.identify({ userId: "u1", traits: { plan: "pro" } });
    analytics.page({ anonymousId: "anon-1", name: "Pricing", category: "Docs" });
    await analytics.closeAndFlush({ timeout: 30_000 });

    const attempts = proxy.seen.slice(sent);
    expect(attempts.map((s) => s.fault)).toEqual(["503-before", "503-after", "429-after", "pass"]);
    expect(attempts.every((s) => s.path === "/v1/batch")).toBe(true);
    expect(attempts[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`${project.ingest}:`).toString("base64")}`);
    // The SDK waited at least the Retry-After second after the 429.
    expect((attempts[3]?.at ?? 0) - (attempts[2]?.at ?? 0)).toBeGreaterThanOrEqual(950);

    expect(await landed(project.query, 42)).toEqual([
      { event_type: "Order Completed", n: 40, ids: 40 },
      { event_type: "identify", n: 1, ids: 1 },
      { event_type: "page", n: 1, ids: 1 },
    ]);
    // The table of a name with a space is its quoted name; payload and metadata are as sent.
    const [order] = await sql<{ n: number; total: number }>(
      project.query,
      `SELECT count(*) AS n, sum(CAST(json_extract_string(payload, '$.total') AS BIGINT)) AS total FROM "Order Completed"`,
    );
    expect(Number(order?.n)).toBe(40);
    expect(Number(order?.total)).toBe((39 * 40) / 2);
    const [page] = await sql<{ name: string; source: string; user_id: string }>(
      project.query,
      `SELECT json_extract_string(metadata, '$.name') AS name, source, user_id FROM page`,
    );
    expect(page).toEqual({ name: "Pricing", source: "@segment/analytics-node", user_id: "anon-1" });
  });

  it("RudderStack's Node SDK (gzip bodies) lands every event exactly once through a 503 and a 429", async () => {
    const project = await newProject("rudder-sdk");
    const client = new RudderAnalytics(project.ingest, {
      dataPlaneUrl: proxy.url,
      flushAt: 100,
      flushInterval: 60_000,
      retryCount: 5,
      logLevel: "error",
    });
    const sent = proxy.seen.length;
    proxy.plan(["503-after", "429-after"]);
    for (let i = 0; i < 30; i++) {
      client.track({ userId: `r${i % 5}`, event: "Product Viewed", properties: { sku: `sku-${i}` } });
    }
    client.group({ userId: "r1", groupId: "g-1", traits: { seats: 3 } });
    client.alias({ userId: "r1", previousId: "anon-9" });
    client.screen({ userId: "r2", name: "Cart" });
    await client.flush();

    // The SDK sends its first message alone, then the rest: the faults hit the first batches.
    const attempts = proxy.seen.slice(sent);
    expect(attempts.map((s) => s.fault).slice(0, 2)).toEqual(["503-after", "429-after"]);
    expect(attempts.slice(2).every((s) => s.fault === "pass")).toBe(true);
    expect(attempts.every((s) => s.headers["content-encoding"] === "gzip")).toBe(true);
    // Each faulted batch was sent again, the 429'd one no sooner than its Retry-After second.
    const retryOf = (i: number) => attempts.find((s, j) => j > i && s.ids.join() === attempts[i]?.ids.join());
    expect(retryOf(0)).toBeDefined();
    expect((retryOf(1)?.at ?? 0) - (attempts[1]?.at ?? 0)).toBeGreaterThanOrEqual(950);

    expect(await landed(project.query, 33)).toEqual([
      { event_type: "Product Viewed", n: 30, ids: 30 },
      { event_type: "alias", n: 1, ids: 1 },
      { event_type: "group", n: 1, ids: 1 },
      { event_type: "screen", n: 1, ids: 1 },
    ]);
  });
});

describe("GET /metrics against wrangler dev", () => {
  it("passes promtool check metrics after the SDK traffic, counting what was accepted and landed", async () => {
    // Deltas reach the shards within METRICS_FLUSH_MS of the last request.
    await new Promise((r) => setTimeout(r, 1500));
    const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const verdict = promtoolCheck(text);
    expect(verdict.output).toBe("");
    expect(verdict.status).toBe(0);
    const value = (series: string) =>
      Number(
        text
          .split("\n")
          .find((l) => l.startsWith(`${series} `))
          ?.split(" ")[1] ?? Number.NaN,
      );
    // 42 + 33 distinct events were sent; the answers lost by the hop were accepted too (then deduped).
    expect(value("tarn_events_accepted_total")).toBeGreaterThanOrEqual(75);
    expect(value("tarn_events_landed_total")).toBe(75);
    expect(value('tarn_http_requests_total{route="/v1/batch",method="POST",status="200"}')).toBeGreaterThanOrEqual(5);
    expect(value('tarn_lake_files{layer="bronze"}')).toBeGreaterThan(0);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { Authorization: "Bearer wrong" } });
    expect(wrong.status).toBe(401);
  });
});

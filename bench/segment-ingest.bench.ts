// Segment's /v1/batch vs /v1/events vs GET /health on the same `wrangler dev`: N keep-alive clients
// hammer one route for a fixed time, rounds alternating health, events and segment (as
// bench/http-ingest does). Prints events/s of both ingest routes and their ratios to health req/s × batch.
//
//   npx tsx bench/segment-ingest.bench.ts [concurrency=24] [seconds=5] [rounds=3] [batch=100]
//
// Segment bodies are what @segment/analytics-node sends (Basic auth, {"batch": [...]} of track
// calls with context and a messageId each); every request gets fresh messageIds, so the consumer
// writes every event, as for /v1/events.
import http from "node:http";
import { startDevServer } from "../test/e2e/server";
import { mulberry32 } from "../test/seeded-random";

const concurrency = Number(process.argv[2] ?? 24);
const seconds = Number(process.argv[3] ?? 5);
const rounds = Number(process.argv[4] ?? 3);
const batch = Number(process.argv[5] ?? 100);
const DRAIN_TIMEOUT_MS = 120_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

interface Reply {
  status: number;
  body: string;
}

function request(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request(url.href, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", (err) => resolve({ status: 0, body: String(err) }));
    });
    req.on("error", (err) => resolve({ status: 0, body: String(err) }));
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const TYPES = ["Page Viewed", "Button Clicked", "Order Completed", "Signed Up", "API Called"];

/** The same deterministic events in both shapes; Segment bodies carry an `@@` where each request's unique prefix goes. */
function makeBodies(count: number, size: number): { tarn: string[]; segment: string[][] } {
  const rnd = mulberry32(1);
  const now = Date.now();
  const tarn: string[] = [];
  const segment: string[][] = [];
  for (let b = 0; b < count; b++) {
    const events = [];
    const messages = [];
    for (let i = 0; i < size; i++) {
      const type = TYPES[Math.floor(rnd() * TYPES.length)] as string;
      const timestamp = new Date(now - Math.floor(rnd() * 3_600_000)).toISOString();
      const userId = `user-${Math.floor(rnd() * 10_000)}`;
      const properties = { path: `/p/${Math.floor(rnd() * 500)}`, ms: Math.floor(rnd() * 2000), ok: rnd() < 0.9 };
      events.push({
        eventType: type.replace(" ", "."),
        timestamp,
        eventSource: "web",
        userId,
        data: { payload: properties },
      });
      messages.push({
        type: "track",
        event: type,
        messageId: `@@-${i}`,
        userId,
        timestamp,
        properties,
        context: { library: { name: "@segment/analytics-node", version: "3.1.0" } },
        _metadata: { jsRuntime: "node" },
      });
    }
    tarn.push(JSON.stringify(events));
    segment.push(JSON.stringify({ batch: messages, sentAt: new Date(now).toISOString() }).split("@@"));
  }
  return { tarn, segment };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function hammer(ms: number, once: () => Promise<boolean>): Promise<{ perSecond: number; count: number }> {
  let count = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (await once()) count++;
        else await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return { perSecond: (count * 1000) / (performance.now() - start), count };
}

async function main(): Promise<void> {
  console.log(
    `# segment ingest bench: concurrency ${concurrency}, ${seconds} s per phase, ${rounds} rounds, ${batch} events/request`,
  );
  const server = await startDevServer();
  try {
    const base = new URL(server.url);
    const post = async (path: string, token: string, body: unknown) => {
      const r = await request(
        new URL(path, base),
        "POST",
        { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        JSON.stringify(body),
      );
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as Record<string, string>;
    };
    const { admin_key: adminKey } = await post("/v1/projects", server.adminKey, { name: "bench-segment" });
    const { key: ingestKey } = await post("/v1/keys", adminKey as string, { name: "ingest", scopes: ["ingest"] });
    const { key: queryKey } = await post("/v1/keys", adminKey as string, { name: "query", scopes: ["query"] });

    const bodies = makeBodies(64, batch);
    let next = 0;
    let requestSeq = 0;
    let accepted = 0;
    let failures = 0;
    const fail = (what: string, r: Reply) => {
      failures++;
      if (failures <= 3) console.error(`# ${what} failed, ${r.status}: ${r.body.slice(0, 300)}`);
      return false;
    };
    const healthUrl = new URL("/health", base);
    const health = async () => {
      const r = await request(healthUrl, "GET", {});
      return r.status === 200 || fail("health", r);
    };
    const eventsUrl = new URL("/v1/events", base);
    const eventsHeaders = { "Content-Type": "application/json", Authorization: `Bearer ${ingestKey}` };
    const events = async () => {
      const r = await request(eventsUrl, "POST", eventsHeaders, bodies.tarn[next++ % bodies.tarn.length]);
      if (r.status !== 202) return fail("events", r);
      accepted += (JSON.parse(r.body) as { accepted: number }).accepted;
      return true;
    };
    const batchUrl = new URL("/v1/batch", base);
    const segmentHeaders = {
      "Content-Type": "application/json",
      Authorization: `Basic ${Buffer.from(`${ingestKey}:`).toString("base64")}`,
    };
    const segment = async () => {
      const parts = bodies.segment[next++ % bodies.segment.length] as string[];
      const r = await request(batchUrl, "POST", segmentHeaders, parts.join(`r${requestSeq++}`));
      if (r.status !== 200) return fail("segment", r);
      accepted += (JSON.parse(r.body) as { accepted: number }).accepted;
      return true;
    };
    const landed = async () => {
      const r = await request(new URL("/v1/datasets", base), "GET", { Authorization: `Bearer ${queryKey}` });
      if (r.status !== 200) return -1;
      const { datasets } = JSON.parse(r.body) as { datasets: { name: string; rows: number }[] };
      return datasets.filter((d) => d.name !== "events").reduce((n, d) => n + Number(d.rows), 0);
    };
    const drain = async () => {
      const t = performance.now();
      while ((await landed()) < accepted) {
        if (performance.now() - t > DRAIN_TIMEOUT_MS) {
          console.log(`# warning: lake did not catch up within ${DRAIN_TIMEOUT_MS / 1000} s`);
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    await hammer(1000, health);
    await hammer(1000, events);
    await hammer(1000, segment);
    await drain();

    const rates = { health: [] as number[], events: [] as number[], segment: [] as number[] };
    for (let round = 1; round <= rounds; round++) {
      const h = await hammer(seconds * 1000, health);
      const e = await hammer(seconds * 1000, events);
      await drain();
      const s = await hammer(seconds * 1000, segment);
      await drain();
      rates.health.push(h.perSecond);
      rates.events.push(e.perSecond);
      rates.segment.push(s.perSecond);
      console.log(
        `# round ${round}: health ${h.perSecond.toFixed(0)} req/s, /v1/events ${e.perSecond.toFixed(0)} req/s, /v1/batch ${s.perSecond.toFixed(0)} req/s`,
      );
    }
    if (failures > 0) console.log(`# ${failures} requests failed`);
    const h = median(rates.health);
    const e = median(rates.events) * batch;
    const s = median(rates.segment) * batch;
    console.log(`health req/s: ${h.toFixed(0)}`);
    console.log(`/v1/events events/s: ${e.toFixed(0)}`);
    console.log(`/v1/batch (Segment) events/s: ${s.toFixed(0)}`);
    console.log(`ratio /v1/events events/s / (health req/s x ${batch}): ${(e / (h * batch)).toFixed(3)}`);
    console.log(`ratio /v1/batch events/s / (health req/s x ${batch}): ${(s / (h * batch)).toFixed(3)}`);
    console.log(`ratio /v1/batch / /v1/events: ${(s / e).toFixed(3)}`);
  } finally {
    agent.destroy();
    await server.stop();
  }
}

await main();

// HTTP ingest vs GET /health on the same `wrangler dev`: N keep-alive clients hammer one route for a
// fixed time, alternating health and ingest rounds. Target: events/s ≥ 0.8 × (health req/s × 100).
//
//   npx tsx bench/http-ingest.bench.ts [concurrency=24] [seconds=5] [rounds=3] [batch=100] [format=json|ndjson|gzip]
//
// format: a JSON array (default), NDJSON lines (Content-Type application/x-ndjson), or the JSON
// array gzipped (Content-Encoding: gzip), as SDKs that compress send it.
//
// Each round also measures the runtime's ceiling: the same bodies POSTed to a bare Worker that only reads
// and JSON.parses them (bench/bare-worker, its own `wrangler dev`), as a ratio to Tarn's /health.
//
// Ingest bodies are pre-serialized JSON arrays of `batch` events without eventIds (the edge
// generates them), so every event is new and the queue consumer writes them all, as in production.
// Between rounds the bench waits until the lake has caught up, so consumer work left over from an
// ingest round does not slow the next health round.
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { freePort, startDevServer } from "../test/e2e/server";
import { mulberry32 } from "../test/seeded-random";

const concurrency = Number(process.argv[2] ?? 24);
const seconds = Number(process.argv[3] ?? 5);
const rounds = Number(process.argv[4] ?? 3);
const batch = Number(process.argv[5] ?? 100);
const format = process.argv[6] ?? "json";
if (!["json", "ndjson", "gzip"].includes(format)) throw new Error(`format must be json, ndjson or gzip, not ${format}`);
const DRAIN_TIMEOUT_MS = 120_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

interface Reply {
  status: number;
  body: string;
}

function request(url: URL, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url.href, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** `count` pre-serialized bodies of `size` events each, deterministic, in the bench's format. */
function makeBodies(count: number, size: number, seed = 1): (string | Buffer)[] {
  const rnd = mulberry32(seed);
  const types = ["page.view", "click", "order.created", "signup", "api_call"];
  const now = Date.now();
  const bodies: (string | Buffer)[] = [];
  for (let b = 0; b < count; b++) {
    const events = [];
    for (let i = 0; i < size; i++) {
      events.push({
        eventType: types[Math.floor(rnd() * types.length)],
        timestamp: new Date(now - Math.floor(rnd() * 3_600_000)).toISOString(),
        eventSource: "web",
        userId: `user-${Math.floor(rnd() * 10_000)}`,
        sessionId: `s-${Math.floor(rnd() * 50_000).toString(36)}`,
        environment: "production",
        data: { payload: { path: `/p/${Math.floor(rnd() * 500)}`, ms: Math.floor(rnd() * 2000), ok: rnd() < 0.9 } },
      });
    }
    if (format === "ndjson") bodies.push(events.map((e) => JSON.stringify(e)).join("\n"));
    else if (format === "gzip") bodies.push(gzipSync(JSON.stringify(events)));
    else bodies.push(JSON.stringify(events));
  }
  return bodies;
}

/** The bare Worker (bench/bare-worker) on its own `wrangler dev`. */
async function startBareWorker(): Promise<{ url: URL; stop: () => void }> {
  const port = await freePort();
  const root = path.resolve(import.meta.dirname, "..");
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(root, "node_modules", "wrangler", "bin", "wrangler.js"),
      "dev",
      "--config",
      path.join(root, "bench", "bare-worker", "wrangler.toml"),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(await freePort()),
    ],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: "ignore" },
  );
  const url = new URL(`http://127.0.0.1:${port}/`);
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const r = await tryRequest(url, "GET", {});
    if (r.status === 200) return { url, stop: () => child.kill("SIGTERM") };
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill("SIGKILL");
  throw new Error("the bare worker did not start in 60 s");
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Like `request`, but a network error (e.g. the worker restarting) is status 0, never a throw. */
async function tryRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Reply> {
  try {
    return await request(url, method, headers, body);
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

/** `concurrency` clients calling `once` back to back for `ms`; returns completed requests per second. */
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
  const elapsed = performance.now() - start;
  return { perSecond: (count * 1000) / elapsed, count };
}

async function main(): Promise<void> {
  console.log(
    `# http ingest bench: concurrency ${concurrency}, ${seconds} s per phase, ${rounds} rounds, ${batch} events/request, ${format} bodies`,
  );
  const server = await startDevServer();
  const bareWorker = await startBareWorker();
  try {
    const base = new URL(server.url);
    const json = { "Content-Type": "application/json" };
    const post = async (path: string, token: string, body: unknown) => {
      const r = await request(
        new URL(path, base),
        "POST",
        { ...json, Authorization: `Bearer ${token}` },
        JSON.stringify(body),
      );
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as Record<string, string>;
    };
    const { admin_key: adminKey } = await post("/v1/projects", server.adminKey, { name: "bench-http" });
    const { key: ingestKey } = await post("/v1/keys", adminKey as string, { name: "ingest", scopes: ["ingest"] });
    const { key: queryKey } = await post("/v1/keys", adminKey as string, { name: "query", scopes: ["query"] });

    const bodies = makeBodies(64, batch);
    const healthUrl = new URL("/health", base);
    const eventsUrl = new URL("/v1/events", base);
    const bodyHeaders: Record<string, string> =
      format === "ndjson"
        ? { "Content-Type": "application/x-ndjson" }
        : format === "gzip"
          ? { ...json, "Content-Encoding": "gzip" }
          : json;
    const ingestHeaders = { ...bodyHeaders, Authorization: `Bearer ${ingestKey}` };
    let next = 0;
    let accepted = 0;
    let failures = 0;
    const health = async () => {
      const r = await tryRequest(healthUrl, "GET", {});
      if (r.status === 200) return true;
      failures++;
      return false;
    };
    const ingest = async () => {
      const r = await tryRequest(eventsUrl, "POST", ingestHeaders, bodies[next++ % bodies.length]);
      if (r.status !== 202) {
        failures++;
        if (failures <= 3) console.error(`# ingest failed, ${r.status}: ${r.body.slice(0, 300)}`);
        return false;
      }
      accepted += (JSON.parse(r.body) as { accepted: number }).accepted;
      return true;
    };
    const landed = async () => {
      const r = await tryRequest(new URL("/v1/datasets", base), "GET", { Authorization: `Bearer ${queryKey}` });
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
      console.log(`#   lake caught up ${((performance.now() - t) / 1000).toFixed(1)} s after the round`);
    };

    const bare = async () => {
      const r = await tryRequest(bareWorker.url, "POST", bodyHeaders, bodies[next++ % bodies.length]);
      if (r.status === 202) return true;
      failures++;
      return false;
    };

    // Warm-up: isolates, key cache, JIT, queue consumer.
    await hammer(1000, bare);
    await hammer(1000, health);
    await hammer(1000, ingest);
    await drain();

    const healthRps: number[] = [];
    const ingestRps: number[] = [];
    const bareRps: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const b = await hammer(seconds * 1000, bare);
      bareRps.push(b.perSecond);
      const h = await hammer(seconds * 1000, health);
      const before = accepted;
      const i = await hammer(seconds * 1000, ingest);
      const eventsPerSecond = ((accepted - before) * i.perSecond) / Math.max(1, i.count);
      healthRps.push(h.perSecond);
      ingestRps.push(i.perSecond);
      console.log(
        `# round ${round}: bare route ${b.perSecond.toFixed(0)} req/s, health ${h.perSecond.toFixed(0)} req/s, ingest ${i.perSecond.toFixed(0)} req/s = ${eventsPerSecond.toFixed(0)} events/s`,
      );
      await drain();
    }
    if (failures > 0) console.log(`# ${failures} requests failed`);
    const h = median(healthRps);
    const i = median(ingestRps);
    console.log(`health req/s: ${h.toFixed(0)}`);
    console.log(`ingest req/s: ${i.toFixed(0)}`);
    console.log(`ingest events/s: ${(i * batch).toFixed(0)}`);
    console.log(`ratio events/s / (health req/s x ${batch}): ${((i * batch) / (h * batch)).toFixed(3)}`);
    const b = median(bareRps);
    console.log(`bare route req/s: ${b.toFixed(0)} (the runtime's ceiling; ratio to health ${(b / h).toFixed(3)})`);
  } finally {
    bareWorker.stop();
    agent.destroy();
    await server.stop();
  }
}

await main();

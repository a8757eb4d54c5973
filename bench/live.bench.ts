// Live path on a real `wrangler dev`: (1) ingest → WebSocket update latency, against the plain ingest
// round trip (POST → 202) measured alternately in the same run; (2) fan-out: N sockets each receiving
// every update, delivery latency (frame built in the shard → received by the client) against the
// WebSocket ping/pong round trip on the same sockets. Targets: p95 ≤ 1 s; every update to every
// socket with delivery p99 ≤ 250 ms.
//
//   npx tsx bench/live.bench.ts [samples=100] [sockets=1000] [updates=20] [hubCapacity=32000]
//
// With hubCapacity below `sockets`, viewers are spread over a fan-out tree of hubs (fan-out 16).
import { startDevServer } from "../test/e2e/server";

const samples = Number(process.argv[2] ?? 100);
const sockets = Number(process.argv[3] ?? 1000);
const updates = Number(process.argv[4] ?? 20);
const hubCapacity = Number(process.argv[5] ?? 32000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms`;

interface Frame {
  type: string;
  window?: { start: string };
  data?: { count: number };
  rev?: number;
  timestamp?: string;
  windows?: { window: { start: string }; data: { count: number }; rev: number }[];
}

/** A client that keeps the highest-rev count of each window. */
class Viewer {
  readonly windows = new Map<string, { rev: number; count: number }>();
  readonly deliveries: number[] = [];
  readonly seen = new Set<string>();
  private waiters: (() => void)[] = [];
  pongAt = 0;

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      const now = Date.now();
      const text = String(e.data);
      if (text === '{"type":"pong"}') {
        this.pongAt = performance.now();
        return;
      }
      const f = JSON.parse(text) as Frame;
      const put = (start: string, rev: number, count: number) => {
        const cur = this.windows.get(start);
        if (!cur || cur.rev < rev) this.windows.set(start, { rev, count });
      };
      if (f.type === "update" && f.window && f.data) {
        put(f.window.start, f.rev ?? 0, f.data.count);
        this.seen.add(`${f.window.start}#${f.rev}`);
        if (f.timestamp) this.deliveries.push(now - Date.parse(f.timestamp));
      }
      if (f.type === "snapshot") for (const w of f.windows ?? []) put(w.window.start, w.rev, w.data.count);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  total(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.count;
    return n;
  }

  async until(pred: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; total ${this.total()}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

async function main() {
  const server = await startDevServer(["--var", `LIVE_HUB_CAPACITY:${hubCapacity}`]);
  try {
    const post = (path: string, token: string, json: unknown) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(json),
      });
    const project = async (name: string) => {
      const { admin_key } = (await (await post("/v1/projects", server.adminKey, { name })).json()) as {
        admin_key: string;
      };
      const key = async (scope: string) =>
        ((await (await post("/v1/keys", admin_key, { name: scope, scopes: [scope] })).json()) as { key: string }).key;
      return { ingest: await key("ingest"), query: await key("query") };
    };
    const open = (token: string) =>
      new Promise<Viewer>((resolve, reject) => {
        const ws = new WebSocket(`${server.url.replace("http", "ws")}/v1/live?token=${token}&subscribe=events:1m`);
        const v = new Viewer(ws);
        ws.addEventListener("open", () => resolve(v), { once: true });
        ws.addEventListener("error", () => reject(new Error("socket failed")), { once: true });
      });
    let seq = 0;
    const send = async (ingest: string) => {
      const res = await post("/v1/events", ingest, [{ eventType: "bench.tick", eventId: `e${seq++}` }]);
      if (res.status !== 202) throw new Error(`ingest ${res.status}`);
      await res.arrayBuffer();
    };

    // (1) ingest → WebSocket, alternating with a plain ingest round trip on another project.
    const lat = await project("bench-live-latency");
    const ref = await project("bench-live-reference");
    const viewer = await open(lat.query);
    await viewer.until(() => viewer.windows.size >= 0);
    await sleep(500);
    const live: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await send(ref.ingest);
      plain.push(performance.now() - t);
      await sleep(Math.random() * 150);
      const target = viewer.total() + 1;
      const t0 = performance.now();
      await send(lat.ingest);
      await viewer.until(() => viewer.total() >= target);
      live.push(performance.now() - t0);
      await sleep(50 + Math.random() * 150);
    }
    console.log(`# ${samples} samples, one event each, max_batch_timeout from wrangler.toml`);
    console.log(`ingest → 202 (reference): ${fmt(plain)}`);
    console.log(`ingest → WebSocket update: ${fmt(live)}`);
    console.log(`ratio ingest→WS p95 / ingest→202 p95: ${(pct(live, 95) / pct(plain, 95)).toFixed(1)}`);
    console.log(`ratio ingest→WS p95 / 1000 ms target: ${(pct(live, 95) / 1000).toFixed(3)}`);
    viewer.ws.close();

    // (2) fan-out to N sockets.
    const fan = await project("bench-live-fanout");
    const viewers: Viewer[] = [];
    for (let i = 0; i < sockets; i += 50)
      viewers.push(...(await Promise.all(Array.from({ length: Math.min(50, sockets - i) }, () => open(fan.query)))));
    await sleep(1000);
    const rtts: number[] = [];
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      for (const v of viewers) v.ws.send('{"action":"ping"}');
      await Promise.all(viewers.map((v) => v.until(() => v.pongAt > t, 10_000)));
      for (const v of viewers) rtts.push(v.pongAt - t);
    }
    let sent = 0;
    for (let u = 0; u < updates; u++) {
      await send(fan.ingest);
      sent++;
      await sleep(400);
    }
    await Promise.all(viewers.map((v) => v.until(() => v.total() >= sent, 60_000)));
    await sleep(500);
    const union = new Set<string>();
    for (const v of viewers) for (const s of v.seen) union.add(s);
    const complete = viewers.filter((v) => v.seen.size === union.size && v.total() === sent).length;
    const deliveries = viewers.flatMap((v) => v.deliveries);
    console.log(`# ${sockets} sockets, ${sent} ingests → ${union.size} distinct updates, hub capacity ${hubCapacity}`);
    console.log(`sockets with every update and the exact count: ${complete}/${sockets}`);
    console.log(`ping/pong round trip, all sockets at once (reference): ${fmt(rtts)}`);
    console.log(`update delivery, shard → client: ${fmt(deliveries)}`);
    console.log(
      `ratio delivery p99 / ping-pong p99 (same sockets, same run): ${(pct(deliveries, 99) / pct(rtts, 99)).toFixed(3)}`,
    );
    console.log(`ratio delivery p99 / 250 ms target: ${(pct(deliveries, 99) / 250).toFixed(3)}`);
    for (const v of viewers) v.ws.close();
  } finally {
    await server.stop();
  }
}

await main();
